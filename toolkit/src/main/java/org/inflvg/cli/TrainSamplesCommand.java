package org.inflvg.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.inflvg.InfLVG;
import org.inflvg.TrainingSamples;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code inflvg train samples}: the sample sheet {@code train base --samples-every} writes, for any model folder, so
 * that two runs (or a run and the shipped model) can be compared by eye at equal steps.
 */
@Command(name = "samples", mixinStandardHelpOptions = true,
        description = "Write the training sample sheet of a model (rows: three validation sets continued from a render "
                + "with full context into a scene switch, then the first set with no context; fixed prompts and noise, "
                + "so two sheets differ only by the weights).")
public final class TrainSamplesCommand implements Callable<Integer> {

    @CommandLine.Mixin HostOptions host;
    @Option(names = "--model", description = "model folder (default: data/tinydit)")
    Path model;
    @Option(names = "--out", required = true, description = "output file (.png strip, .gif or .mp4)")
    Path out;
    @Option(names = "--scale", defaultValue = "3", description = "upscaling (default ${DEFAULT-VALUE})")
    int scale;

    @Override
    public Integer call() {
        if (scale < 1 || scale > 16) {
            throw new BadInputException("--scale must be in [1, 16], got " + scale);
        }
        String name = out.getFileName().toString();
        if (!name.endsWith(".png") && !name.endsWith(".gif") && !name.endsWith(".mp4")) {
            throw new BadInputException("--out must end in .png, .gif or .mp4, got " + out);
        }
        host.check(model);
        try (InfLVG lvg = host.load(model)) {
            TrainingSamples.sheet(lvg.model()).upscale(scale).save(out);
            System.out.println("wrote the sample sheet of model " + lvg.checksum().substring(0, 12) + " to " + out);
        }
        return 0;
    }
}
