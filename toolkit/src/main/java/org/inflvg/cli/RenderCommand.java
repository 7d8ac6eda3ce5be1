package org.inflvg.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.inflvg.world.Clip;
import org.inflvg.world.Identity;
import org.inflvg.world.Prompt;
import org.inflvg.world.SpriteWorld;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code inflvg render}: a ground-truth SpriteWorld scene. */
@Command(name = "render", mixinStandardHelpOptions = true,
        description = "Render a ground-truth SpriteWorld scene (.gif, .mp4 or .png), scaled up for looking at.")
public final class RenderCommand implements Callable<Integer> {

    @Option(names = "--prompt", required = true, description = "e.g. \"A robot jumps on the beach\"")
    String prompt;
    @Option(names = "--identity", defaultValue = "0", description = "the individual, 0.." + (Identity.COUNT - 1))
    int identity;
    @Option(names = "--seed", defaultValue = "0", description = "placement and texture phase")
    long seed;
    @Option(names = "--scale", defaultValue = "8", description = "nearest-neighbour upscaling (default ${DEFAULT-VALUE})")
    int scale;
    @Option(names = "--out", required = true, description = "output file: .gif, .mp4 or .png")
    Path out;

    @Override
    public Integer call() {
        Prompt p = Prompt.parse(prompt);
        Clip clip = SpriteWorld.standard().render(p, new Identity(identity), seed);
        clip.video().upscale(scale).save(out);
        System.out.println("rendered \"" + p + "\" for " + clip.identity() + " to " + out);
        return 0;
    }
}
