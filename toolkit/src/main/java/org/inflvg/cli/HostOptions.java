package org.inflvg.cli;

import java.nio.file.Path;
import org.inflvg.HostConfig;
import org.inflvg.InfLVG;
import picocli.CommandLine.Option;

/**
 * {@code --config FILE}, shared by the commands that load a model (a picocli mixin): the host file names the device,
 * the model, reward and policy folders, a default prompt file and batch sizes. A bad file, or a GPU asked for and not
 * present, is bad input (exit 2) with the message {@link HostConfig} gives.
 */
final class HostOptions {

    @Option(names = "--config", paramLabel = "FILE", description = "host file (JSON: device, dtype, model, modelKind, "
            + "rewards, policy, prompts, batch sizes), e.g. data/hosts/cpu-tiny.json or "
            + "data/hosts/external-torchscript.json; instead of --model")
    Path config;

    private HostConfig host;

    /** The host file's configuration, or null without {@code --config}; read once, a bad file exits 2. */
    HostConfig host() {
        if (config != null && host == null) {
            try {
                host = HostConfig.read(config);
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--config: " + e.getMessage());
            }
        }
        return host;
    }

    /**
     * Checks what the user typed before any model loads or output is printed: the file parses, its device exists on
     * this machine, and not both --model and --config.
     */
    void check(Path model) {
        if (model != null && config != null) {
            throw new BadInputException("give --model DIR or --config FILE, not both: the host file names its model "
                    + "(\"model\": \"" + host().model() + "\")");
        }
        if (host() != null) {
            try {
                host().djlDevice();
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--config " + config + ": " + e.getMessage());
            }
        }
    }

    /** Loads --model, else the host of --config, else the embedded default. */
    InfLVG load(Path model) {
        check(model);
        if (host() == null) {
            return model == null ? InfLVG.load() : InfLVG.load(model);
        }
        try {
            return InfLVG.load(host());
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--config " + config + ": " + e.getMessage());
        }
    }

    /** The prompt file: the one given, else the host's {@code prompts}, else null. */
    Path prompts(Path given) {
        return given != null || host() == null ? given : host().promptsFile();
    }

    /** The GRPO group size: the one given, else the host's {@code batch.group}, else 8. */
    int group(Integer given) {
        return given != null ? given : host() != null ? host().batch().group() : HostConfig.Batch.DEFAULT.group();
    }
}
