package org.inflvg;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import org.inflvg.grpo.GrpoConfig;
import org.inflvg.grpo.GrpoTrainer;
import org.inflvg.grpo.RewardFunction;
import org.inflvg.model.ModelFiles;
import org.inflvg.model.TinyDiT;
import org.inflvg.policy.ContextPolicy;
import org.inflvg.policy.PolicyConfig;
import org.inflvg.policy.PolicySelector;
import org.inflvg.select.Selectors;
import org.inflvg.world.Eps;

/**
 * The entry point: loads a model and makes stories. {@code InfLVG.load()} loads the embedded TinyDiT from
 * {@code data/tinydit}; close it to free native memory.
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
    private final TinyDiT model;
    private final Path modelDir;
    private final String checksum;
    private ContextPolicy policy;
    private org.inflvg.reward.RewardModels rewards;
    private final java.util.function.BiFunction<Integer, String, org.inflvg.select.ContextSelector> policyFactory;

    private InfLVG(NDManager manager, TinyDiT model, Path modelDir) {
        this.manager = manager;
        this.model = model;
        this.modelDir = modelDir;
        this.checksum = ModelFiles.checksum(modelDir);
        this.policyFactory = (k, dir) -> new PolicySelector(dir == null ? policy() : loadPolicy(Path.of(dir)), k, false);
        Selectors.registerPolicy(policyFactory);
    }

    /**
     * The context policy: the shipped one ({@code policy/} beside the model folder, i.e. {@code data/policy}) when
     * present, else a fresh untrained one. An untrained policy gives every token the same logit: it *samples* like
     * random:K, but its deterministic top-K breaks the ties by index and keeps the first K candidates (the oldest frames).
     */
    public ContextPolicy policy() {
        if (policy == null) {
            Path shipped = modelDir.toAbsolutePath().getParent().resolve("policy");
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
     * The reward models: the shipped ones ({@code rewards/} beside the model folder, i.e. {@code data/rewards}, else
     * the checkout's {@code data/rewards}), loaded on first use and closed with this object. Errors say how to train them when they are missing.
     */
    public org.inflvg.reward.RewardModels rewards() {
        if (rewards == null) {
            Path beside = modelDir.toAbsolutePath().getParent().resolve("rewards");
            rewards = org.inflvg.reward.RewardModels.load(java.nio.file.Files.isDirectory(beside) ? beside
                    : home().resolve("data").resolve("rewards"));
        }
        return rewards;
    }

    /** The hybrid reward over {@link #rewards()}: alignment + artifact + identity, weights 1, 1, 1. */
    public org.inflvg.reward.HybridReward reward() {
        return new org.inflvg.reward.HybridReward(rewards());
    }

    /** GRPO for {@link #policy()} with default settings and the hybrid reward. */
    public GrpoTrainer grpo() {
        return grpo(policy(), GrpoConfig.DEFAULT, reward());
    }

    /** GRPO for a policy with the given settings and reward. */
    public GrpoTrainer grpo(ContextPolicy p, GrpoConfig cfg, RewardFunction reward) {
        return new GrpoTrainer(model, p, reward, cfg);
    }

    /** Loads the shipped model from {@code data/tinydit} of this checkout. */
    public static InfLVG load() {
        return load(home().resolve("data").resolve("tinydit"));
    }

    /** Loads a saved model folder (config.json + model.bin). */
    public static InfLVG load(Path modelDir) {
        NDManager m = NDManager.newBaseManager();
        try {
            return new InfLVG(m, ModelFiles.load(modelDir, m), modelDir);
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

    public TinyDiT model() {
        return model;
    }

    /** SHA-256 of the loaded weights. */
    public String checksum() {
        return checksum;
    }

    public Path modelDir() {
        return modelDir;
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
        model.close();
        manager.close();
    }

    @Override
    public String toString() {
        return "InfLVG[" + model + ", weights " + checksum.substring(0, 12) + "]";
    }
}
