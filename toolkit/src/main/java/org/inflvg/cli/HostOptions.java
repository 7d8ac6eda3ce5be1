package org.inflvg.cli;

import java.nio.file.Path;
import org.inflvg.HostConfig;
import org.inflvg.InfLVG;
import org.inflvg.model.Sampling;
import picocli.CommandLine.Option;

/**
 * {@code --config FILE} and {@code --device DEVICE}, shared by the commands that load a model (a picocli mixin): the
 * host file names the device, the model, reward and policy folders, a default prompt file and batch sizes;
 * {@code --device} overrides the device of the host file (or of the default host, the CPU). A bad file, a bad device,
 * or a GPU asked for and not present, is bad input (exit 2) with the message {@link HostConfig} gives, checked before
 * any output.
 */
final class HostOptions {

    /** How the --device flag is written, for every message that names it. */
    static final String DEVICE_FORMS = "cpu, gpu (GPU 0) or gpu:N (N = 0, 1, ...)";

    @Option(names = "--config", paramLabel = "FILE", description = "host file (JSON: device, dtype, model, modelKind, "
            + "rewards, policy, prompts, batch sizes, sampling), e.g. data/hosts/cpu-tiny.json or "
            + "data/hosts/external-torchscript.json; instead of --model")
    Path config;

    @Option(names = "--device", paramLabel = "DEVICE", description = "where the model runs: " + DEVICE_FORMS
            + "; overrides the host file's device (default: the host file's, else cpu)")
    String device;

    @Option(names = "--guidance", paramLabel = "W", description = "classifier-free guidance weight when sampling "
            + "chunks, in [0, 20]: 1 is none (the shipped model's), above 1 follows the prompt more, at a second pass "
            + "per Euler step (default: the host file's sampling.guidance, else the model's config.json)")
    Double guidance;

    @Option(names = "--euler-steps", paramLabel = "N", description = "Euler steps per chunk when sampling, in [1, 1000] "
            + "(default: the host file's sampling.steps, else the model's config.json; the shipped model's: 4)")
    Integer eulerSteps;

    private HostConfig host;

    /** --guidance and --euler-steps as a {@link Sampling} (null when neither is given); a value out of range exits 2. */
    Sampling samplingFlags() {
        if (guidance == null && eulerSteps == null) {
            return null;
        }
        try {
            return new Sampling(eulerSteps, guidance);
        } catch (IllegalArgumentException e) {
            throw new BadInputException((eulerSteps != null && (eulerSteps < 1 || eulerSteps > 1000) ? "--euler-steps "
                    + eulerSteps : "--guidance " + guidance) + ": " + e.getMessage());
        }
    }

    /** The host file's configuration as written (no --device applied), or null without {@code --config}. */
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
     * The host a command runs: the host file's, else the one {@link InfLVG#load(Path)} makes for {@code model} (or
     * the embedded default), with {@code --device} applied. Bad input exits 2 naming the flag.
     */
    HostConfig effective(Path model) {
        HostConfig base = host() != null ? host() : model != null ? InfLVG.hostFor(model) : HostConfig.CPU_TINY;
        Sampling flags = samplingFlags();
        if (flags != null) {
            base = base.withSampling(flags);
        }
        if (device == null) {
            return base;
        }
        String d = device.trim().toLowerCase(java.util.Locale.ROOT);
        if (!d.matches("cpu|gpu|gpu:(0|[1-9][0-9]{0,2})")) {
            throw new BadInputException("--device must be " + DEVICE_FORMS + ", got '" + device + "'; e.g. --device gpu:0,"
                    + " or leave it out to run on the " + (config != null ? "host file's device (" + base.device() + ")"
                    : "CPU"));
        }
        try {
            return base.withDevice(d);
        } catch (IllegalArgumentException e) { // the host's own checks, should a device ever be refused there
            throw new BadInputException("--device " + d + (config != null ? " with --config " + config : "") + ": "
                    + e.getMessage());
        }
    }

    /**
     * Checks what the user typed before any model loads or output is printed: the file parses, --device is well
     * formed, the device exists on this machine, and not both --model and --config.
     */
    void check(Path model) {
        if (model != null && config != null) {
            throw new BadInputException("give --model DIR or --config FILE, not both: the host file names its model "
                    + "(\"model\": \"" + host().model() + "\")");
        }
        HostConfig h = effective(model);
        if (config != null || device != null) {
            try {
                h.djlDevice();
            } catch (IllegalArgumentException e) {
                throw new BadInputException((device != null ? "--device " + h.device() : "--config " + config) + ": "
                        + e.getMessage() + (device != null ? " (or --device cpu)" : ""));
            }
            try {
                InfLVG.checkDtype(h); // bfloat16 on the native TinyDiT, or a TorchScript export of another dtype
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--config " + config + ": " + e.getMessage());
            }
        }
    }

    /** Loads --model, else the host of --config, else the embedded default; on the --device when one is given. */
    InfLVG load(Path model) {
        check(model);
        if (host() == null && device == null) {
            InfLVG lvg = model == null ? InfLVG.load() : InfLVG.load(model);
            Sampling flags = samplingFlags();
            return flags == null ? lvg : lvg.sampling(flags);
        }
        try {
            return InfLVG.load(effective(model));
        } catch (IllegalArgumentException e) {
            throw new BadInputException((config != null ? "--config " + config : "--device " + device) + ": "
                    + e.getMessage());
        }
    }

    /**
     * The DJL device of the effective host, checked (for the commands that do not load a model: {@code train base} and
     * {@code train rewards}, which refuse --guidance and --euler-steps: those set how a loaded model samples; a new base
     * model's sample sheets use the settings its config.json will hold).
     */
    ai.djl.Device djlDevice(Path model) {
        if (samplingFlags() != null) {
            throw new BadInputException((guidance != null ? "--guidance" : "--euler-steps") + " sets how a trained model "
                    + "samples chunks and does not apply to train base or train rewards; leave it out here and give it to the "
                    + "commands that sample (generate, demo, bench, grpo, replay, train policy, train samples)");
        }
        check(model);
        return effective(model).djlDevice();
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
