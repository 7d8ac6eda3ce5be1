package org.inflvg;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import org.inflvg.grpo.GrpoConfig;
import org.inflvg.grpo.GrpoTrainer;
import org.inflvg.grpo.RewardFunction;
import org.inflvg.model.ModelFiles;
import org.inflvg.model.Sampling;
import org.inflvg.model.TorchScriptVideoModel;
import org.inflvg.model.VideoModel;
import org.inflvg.policy.ContextPolicy;
import org.inflvg.policy.PolicyConfig;
import org.inflvg.policy.PolicySelector;
import org.inflvg.select.Selectors;
import org.inflvg.world.Eps;

/**
 * The entry point: loads a model and makes stories. {@code InfLVG.load()} loads the embedded TinyDiT from
 * {@code data/tinydit} on the CPU; {@code InfLVG.load(Path)} takes a model folder, a TorchScript model ({@code .pt},
 * see {@link TorchScriptVideoModel}) or a host file ({@link HostConfig}, e.g. {@code data/hosts/cpu-tiny.json}) that
 * also names the device, the reward and policy folders and the batch sizes. Close it to free native memory.
 *
 * <pre>{@code
 * try (var lvg = InfLVG.load();
 *      var story = lvg.story("A robot jumps on the beach | A robot walks left in the forest").seed(7)) {
 *     Scene s1 = story.next(), s2 = story.next();
 * }
 * }</pre>
 */
public final class InfLVG implements AutoCloseable {

    private final NDManager manager;
    private final VideoModel loaded;
    private VideoModel model;
    private final Path modelDir;
    private final HostConfig host;
    private final String checksum;
    private ContextPolicy policy;
    private org.inflvg.reward.RewardModels rewards;
    private final java.util.function.BiFunction<Integer, String, org.inflvg.select.ContextSelector> policyFactory;

    private InfLVG(NDManager manager, VideoModel model, Path modelDir, HostConfig host) {
        this.manager = manager;
        this.loaded = model;
        this.model = host.sampling() == null ? model : host.sampling().on(model);
        this.modelDir = modelDir;
        this.host = host;
        this.checksum = model.checksum();
        this.policyFactory = (k, dir) -> new PolicySelector(dir == null ? policy() : loadPolicy(Path.of(dir)), k, false);
        Selectors.registerPolicy(policyFactory);
    }

    /**
     * The context policy: the host's {@code policy} folder (for a model folder: {@code policy/} beside it, i.e.
     * {@code data/policy}) when it holds one, else a fresh untrained one. An untrained policy gives every token the same logit: it *samples* like
     * random:K, but its deterministic top-K breaks the ties by index and keeps the first K candidates (the oldest frames).
     */
    public ContextPolicy policy() {
        if (policy == null) {
            Path shipped = host.policyDir();
            policy = java.nio.file.Files.isRegularFile(shipped.resolve("policy.json")) ? ContextPolicy.load(shipped, manager)
                    : new ContextPolicy(PolicyConfig.forModel(model.config()), manager, 0);
        }
        return policy;
    }

    /** A fresh, untrained policy (equal logits: uniform sampling, top-K = first K) with this model's sizes. */
    public ContextPolicy newPolicy(PolicyConfig cfg, long seed) {
        return new ContextPolicy(cfg, manager, seed);
    }

    /** Loads a saved policy folder (policy.json + policy.bin). */
    public ContextPolicy loadPolicy(Path dir) {
        return ContextPolicy.load(dir, manager);
    }

    /**
     * The reward models: the host's {@code rewards} folder (for a model folder: {@code rewards/} beside it, i.e.
     * {@code data/rewards}, else the checkout's {@code data/rewards}), loaded on first use on the model's device and
     * closed with this object. Errors say how to train them when they are missing.
     */
    public org.inflvg.reward.RewardModels rewards() {
        if (rewards == null) {
            rewards = org.inflvg.reward.RewardModels.load(host.rewardsDir(), manager.getDevice());
        }
        return rewards;
    }

    /** The hybrid reward over {@link #rewards()}: alignment + artifact + identity, weights 1, 1, 1. */
    public org.inflvg.reward.HybridReward reward() {
        return new org.inflvg.reward.HybridReward(rewards());
    }

    /** GRPO for {@link #policy()} with default settings (the host's group size) and the hybrid reward. */
    public GrpoTrainer grpo() {
        return grpo(policy(), GrpoConfig.DEFAULT.withGroupSize(host.batch().group()), reward());
    }

    /** GRPO for a policy with the given settings and reward. */
    public GrpoTrainer grpo(ContextPolicy p, GrpoConfig cfg, RewardFunction reward) {
        return new GrpoTrainer(model, p, reward, cfg);
    }

    /** Loads the shipped model from {@code data/tinydit} of this checkout, on the CPU ({@link HostConfig#CPU_TINY}). */
    public static InfLVG load() {
        return load(HostConfig.CPU_TINY);
    }

    /**
     * Loads a saved model folder (config.json + model.bin) on the CPU, with the reward models and policy beside it; or,
     * when {@code path} is a {@code .json} file, the host it describes ({@link #load(HostConfig)}); or, when it is a
     * {@code .pt} file, that TorchScript model on the CPU with the checkout's reward models and policy, in the number
     * type its JSON records ({@code float32} or {@code bfloat16}).
     */
    public static InfLVG load(Path path) {
        if (path.getFileName() != null && path.getFileName().toString().endsWith(".json")
                && !Files.isDirectory(path)) {
            return load(HostConfig.read(path));
        }
        if (path.getFileName() != null && path.getFileName().toString().endsWith(".pt") && !Files.isDirectory(path)) {
            String dtype = TorchScriptVideoModel.recordedDtype(path);
            return load(HostConfig.CPU_TINY.withDescription("TorchScript model " + path.toAbsolutePath())
                    .withTorchScript(path.toAbsolutePath().toString()).withDtype(dtype == null ? "float32" : dtype));
        }
        return open(hostFor(path), path);
    }

    /**
     * The host {@link #load(Path)} makes for a model folder: the CPU default with that folder, the reward models beside
     * it (else the checkout's {@code data/rewards}) and the policy beside it; {@code withDevice} moves it.
     */
    public static HostConfig hostFor(Path modelDir) {
        Path parent = modelDir.toAbsolutePath().getParent();
        Path beside = parent.resolve("rewards");
        return HostConfig.CPU_TINY.withDescription("model folder " + modelDir.toAbsolutePath())
                .withModel(modelDir.toAbsolutePath().toString(), null).withRewardsAndPolicy(
                Files.isDirectory(beside) ? beside.toString() : HostConfig.CPU_TINY.rewards(),
                parent.resolve("policy").toString());
    }

    /**
     * Loads the host a {@link HostConfig} describes: its model on its device. Errors (IllegalArgumentException) say
     * what to do: a GPU asked for and not present names the CPU configuration ({@link HostConfig#CPU_FILE}); a missing
     * model folder names the command that trains it; a folder holding another size than the host names says so; a
     * number type the model cannot run in says which can ({@link #checkDtype}).
     */
    public static InfLVG load(HostConfig host) {
        host.djlDevice(); // a missing GPU is the first thing to say
        checkDtype(host);
        Path dir = host.modelDir();
        if (host.torchScript()) {
            return open(host, dir); // TorchScriptVideoModel.load names the export command when the file is missing
        }
        if (!Files.isRegularFile(dir.resolve(ModelFiles.CONFIG))) {
            String size = host.size() == null ? "" : " --size " + host.size();
            throw new IllegalArgumentException("model folder " + host.model() + " (" + dir + ") holds no trained model"
                    + (Files.isDirectory(dir) ? " (no " + ModelFiles.CONFIG + ")" : " (it does not exist)")
                    + "; train it with: ./inflvg train base" + size + " --out " + host.model()
                    + " (resumable), or point \"model\" at a trained folder such as data/tinydit");
        }
        return open(host, dir);
    }

    /**
     * Whether the host's number type can run its model. The native TinyDiT runs in float32 only: DJL 0.36's PyTorch JNI
     * has no bfloat16 (its data-type table, {@code GetScalarTypeFromDType} in djl_pytorch_utils.h, stops at complex64
     * and ends in a bare {@code throw;}), so creating or casting an array to bfloat16 kills the JVM ("terminate called
     * without an active exception", measured on CPU; the CUDA JNI shares that table), and this check makes sure no
     * bfloat16 array is ever asked for. A TorchScript model runs in the type its export records, which the host must
     * name: a bfloat16 export ({@code tools/export_tinydit.py --dtype bfloat16}) computes in bfloat16 inside the module
     * and exchanges float32 with Java, so DJL never sees a bfloat16 tensor. bfloat16 is allowed on the CPU too (the
     * tests run it there; its speed depends on the CPU), see {@link TorchScriptVideoModel}.
     */
    public static void checkDtype(HostConfig host) {
        if (host.torchScript()) {
            TorchScriptVideoModel.checkDtype(host.modelDir(), host.dtype());
        } else if (host.dtype().equals("bfloat16")) {
            throw new IllegalArgumentException("dtype bfloat16 cannot run the native TinyDiT (\"modelKind\": \"tinydit\","
                    + " model " + host.model() + "): DJL 0.36's PyTorch JNI has no bfloat16 type (its table of data "
                    + "types ends at complex64; creating or casting an array to bfloat16 aborts the JVM), so TinyDiT "
                    + "runs in float32 op by op from Java. bfloat16 runs as a TorchScript export that computes in "
                    + "bfloat16 behind a float32 boundary: \"modelKind\": \"torchscript\", \"model\": "
                    + "\"data/external/tinydit-ts-bf16.pt\" (data/hosts/external-torchscript-bf16.json; another model: "
                    + "/usr/bin/python3 tools/export_tinydit.py --model DIR --dtype bfloat16 --out FILE.pt); or set "
                    + "\"dtype\": \"float32\" in the host file");
        }
    }

    private static InfLVG open(HostConfig host, Path modelDir) {
        NDManager m = NDManager.newBaseManager(host.djlDevice());
        try {
            VideoModel model = host.torchScript() ? TorchScriptVideoModel.load(modelDir, m.getDevice(), host.dtype())
                    : ModelFiles.load(modelDir, m);
            if (host.namedConfig() != null && !host.namedConfig().equals(model.config())) {
                model.close();
                throw new IllegalArgumentException("model folder " + modelDir + " holds " + model.config()
                        + ", not the " + host.size() + " configuration the host names (\"size\": \"" + host.size()
                        + "\"); remove \"size\" or point \"model\" at a " + host.size() + " model");
            }
            return new InfLVG(m, model, modelDir, host);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * The checkout's root: the {@code inflvg.home} system property (set by the launcher), else the nearest folder
     * upwards from the working directory that holds {@code data/tinydit}.
     */
    public static Path home() {
        String prop = System.getProperty("inflvg.home");
        if (prop != null) {
            return Path.of(prop);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("data").resolve("tinydit"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the InfLVG checkout (a folder with data/tinydit) from "
                + Path.of("").toAbsolutePath() + "; set -Dinflvg.home=/path/to/checkout");
    }

    /**
     * The video model: TinyDiT, or a {@link TorchScriptVideoModel} for a {@code "modelKind": "torchscript"} host; its
     * {@link VideoModel#config()} carries the sampling settings in force ({@link #sampling(Sampling)}).
     */
    public VideoModel model() {
        return model;
    }

    /** The sampling settings in force: Euler steps per chunk and guidance weight (the model's own unless overridden). */
    public Sampling sampling() {
        return new Sampling(model.config().denoiseSteps(), model.config().guidance());
    }

    /**
     * Samples the stories and GRPO trainers made <em>after</em> this call with other settings (those made before keep
     * theirs): {@code steps} Euler steps per chunk and classifier-free guidance {@code guidance}, where a null keeps
     * the model's own ({@code config.json}). The weights are shared, nothing is copied. {@code Sampling.MODEL} goes
     * back to the model's own. Returns this, for {@code InfLVG.load().sampling(new Sampling(8, 2.0))}.
     *
     * <p>Guidance above 1 costs a second pass per Euler step and moves generated scenes towards their prompt (against
     * what the context carries over). On the shipped tiny model 1 is best for every selector: at 2 a new scene's frames
     * fall apart, at 0.5 the prompt is lost (data/README.md). GRPO rollouts sample the same way as stories.
     */
    public InfLVG sampling(Sampling s) {
        model = (s == null ? Sampling.MODEL : s).on(loaded);
        return this;
    }

    /** SHA-256 of the loaded weights (model.bin, or the TorchScript .pt file). */
    public String checksum() {
        return checksum;
    }

    /** The model folder, or the {@code .pt} file of a TorchScript model. */
    public Path modelDir() {
        return modelDir;
    }

    /** The host this was loaded for (for a model folder: the CPU default with that folder and what lies beside it). */
    public HostConfig host() {
        return host;
    }

    /** The device the model's arrays live on (every NDManager the model, cache, policy and rewards use). */
    public ai.djl.Device device() {
        return manager.getDevice();
    }

    /** A new story over an event prompt set. */
    public Story story(Eps eps) {
        return new Story(model, eps, manager, this::reward);
    }

    /** A new story over prompts separated by '|'. */
    public Story story(String prompts) {
        return story(Eps.parse(prompts));
    }

    @Override
    public void close() {
        Selectors.unregisterPolicy(policyFactory);
        if (policy != null) {
            policy.close();
        }
        if (rewards != null) {
            rewards.close();
        }
        loaded.close();
        manager.close();
    }

    @Override
    public String toString() {
        return "InfLVG[" + model + ", weights " + checksum.substring(0, 12) + ", " + manager.getDevice() + "]";
    }
}
