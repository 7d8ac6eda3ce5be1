package org.inflvg.grpo;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.inflvg.InfLVG;
import org.inflvg.Story;
import org.inflvg.policy.ContextPolicy;
import org.inflvg.policy.PolicySelector;
import org.inflvg.world.Eps;

/**
 * The two GRPO modes. <b>Amortised</b>: one policy trained across the prompt sets of the EPS train split (one update per
 * set, on its first scene switch), then frozen. <b>Test-time</b>: for one prompt set, a fresh policy per scene switch,
 * a few updates on that switch, then the scene is generated with the deterministic top-K. Both write JSONL logs
 * (scalars and the per-member table) and resume from their checkpoint.
 */
public final class PolicyTraining {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PolicyTraining() {
    }

    /** Amortised training on every set's first scene switch; see the overload with {@code history}. */
    public static GrpoStep amortised(InfLVG lvg, ContextPolicy policy, RewardFunction reward, GrpoConfig cfg,
                                     List<Eps> sets, int steps, Path out, int checkpointEvery, Consumer<GrpoStep> progress) {
        return amortised(lvg, policy, reward, cfg, sets, steps, out, checkpointEvery, 1, progress);
    }

    /**
     * Amortised training into {@code out} (policy.json, policy.bin, state, logs); resumes. Returns the last step.
     *
     * <p>Update {@code i} uses prompt set {@code i mod sets} at scene switch {@code h = 1 + (i + i / sets) mod history}
     * (for {@code history} 1, always the first switch; otherwise history lengths take turns from one update to the
     * next, shifted by one at every pass through the sets, so that each set meets every length): the first
     * {@code h} scenes are generated with the policy's own deterministic top-K as it stands, as it will be used, and
     * the update is made on the switch into scene {@code h}. Longer histories (several old backgrounds, the subject
     * in several scenes, a K that is a smaller share of the candidates) are what a policy meets at the later switches
     * of a long story; a policy trained on first switches only has never seen them. Every set needs at least
     * {@code history + 1} scenes.
     */
    public static GrpoStep amortised(InfLVG lvg, ContextPolicy policy, RewardFunction reward, GrpoConfig cfg,
                                     List<Eps> sets, int steps, Path out, int checkpointEvery, int history,
                                     Consumer<GrpoStep> progress) {
        if (history < 1) {
            throw new IllegalArgumentException("history must be at least 1 scene, got " + history);
        }
        for (Eps e : sets) {
            if (e.scenes().size() < history + 1) {
                throw new IllegalArgumentException("prompt set " + e.index() + " has " + e.scenes().size()
                        + " scenes; a history of " + history + " needs " + (history + 1));
            }
        }
        GrpoStep last = null;
        long start = 0;
        Path state = out.resolve("state.json");
        try (GrpoTrainer t = lvg.grpo(policy, cfg, reward)) {
            if (Files.isRegularFile(state)) {
                start = JSON.readTree(state.toFile()).get("step").asLong();
                policy.weights().load(out.resolve("policy.bin"));
                t.loadState(out, start);
            }
            logRun(out.resolve("grpo-log.jsonl"), "amortised", reward, cfg, start, lvg);
            for (long i = start; i < steps; i++) {
                if (Thread.currentThread().isInterrupted()) {
                    break;
                }
                Eps e = sets.get((int) (i % sets.size()));
                int h = 1 + (int) ((i + i / sets.size()) % history);
                double topK;
                try (Story story = lvg.story(new Eps(e.index(), e.scenes().subList(0, h + 1), e.identity(), e.split()))
                        .seed(i).selector(new PolicySelector(policy, policy.config().budget(), false))) {
                    for (int s = 0; s < h; s++) {
                        story.next();
                    }
                    last = t.step(story);
                    topK = t.evaluate(story).total();
                }
                log(out.resolve("grpo-log.jsonl"), last, e.index(), topK);
                progress.accept(last);
                if ((i + 1) % checkpointEvery == 0 || i + 1 == steps) {
                    checkpoint(policy, t, out, i + 1);
                }
            }
            return last;
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static void checkpoint(ContextPolicy policy, GrpoTrainer t, Path out, long step) throws IOException {
        Files.createDirectories(out);
        policy.save(out);
        t.saveState(out);
        Path tmp = Files.createTempFile(out, "state", ".tmp");
        JSON.writeValue(tmp.toFile(), Map.of("step", step, "time", java.time.Instant.now().toString()));
        Files.move(tmp, out.resolve("state.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Result of test-time optimisation of one prompt set: per switch, reward of top-K before and after. */
    public record TestTimeResult(List<double[]> beforeAfter, org.inflvg.video.Video video) {
    }

    /**
     * Test-time GRPO on one prompt set: for every scene switch a fresh policy (seeded) gets {@code steps} updates, then
     * the scene is generated with its top-K. Logs go to {@code out}.
     */
    public static TestTimeResult testTime(InfLVG lvg, Eps eps, RewardFunction reward, GrpoConfig cfg, int steps,
                                          long seed, Path out, Consumer<GrpoStep> progress) {
        return testTime(lvg, lvg.policy().config(), eps, reward, cfg, steps, seed, out, progress);
    }

    /** Test-time GRPO with fresh policies of configuration {@code pc} (its budget is the K they keep). */
    public static TestTimeResult testTime(InfLVG lvg, org.inflvg.policy.PolicyConfig pc, Eps eps, RewardFunction reward,
                                          GrpoConfig cfg, int steps, long seed, Path out,
                                          Consumer<GrpoStep> progress) {
        java.util.ArrayList<double[]> ba = new java.util.ArrayList<>();
        logRun(out.resolve("grpo-log.jsonl"), "test-time", reward, cfg, 0, lvg);
        try (Story story = lvg.story(eps).seed(seed)) {
            story.next();
            while (story.hasNext()) {
                int s = story.scenes().size();
                ContextPolicy p = lvg.newPolicy(pc, seed * 131 + s);
                try (GrpoTrainer t = lvg.grpo(p, cfg, reward)) {
                    double before = t.evaluate(story).total();
                    for (int i = 0; i < steps; i++) {
                        GrpoStep st = t.step(story);
                        log(out.resolve("grpo-log.jsonl"), st, eps.index(), t.evaluate(story).total());
                        progress.accept(st);
                    }
                    double after = t.evaluate(story).total();
                    ba.add(new double[] {before, after});
                    story.selector(new PolicySelector(p, p.config().budget(), false));
                    story.next();
                }
                p.close();
            }
            return new TestTimeResult(ba, story.video());
        }
    }

    /**
     * A "run" row before a run's first update (and at every resume): mode, reward, the weights of the reward's
     * components (which of them make the total), the GRPO settings, and, when {@code lvg} is given, the model's
     * weights (SHA-256) and the sampling settings the rollouts used. Older logs have none; the audit copes.
     */
    static void logRun(Path file, String mode, RewardFunction reward, GrpoConfig cfg, long fromStep) {
        logRun(file, mode, reward, cfg, fromStep, null);
    }

    static void logRun(Path file, String mode, RewardFunction reward, GrpoConfig cfg, long fromStep, InfLVG lvg) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("kind", "run");
            row.put("mode", mode);
            row.put("fromStep", fromStep);
            row.put("time", java.time.Instant.now().toString());
            row.put("reward", reward.toString());
            row.put("weights", reward.weights());
            row.put("config", cfg);
            if (lvg != null) {
                row.put("modelSha256", lvg.checksum());
                row.put("sampling", lvg.sampling());
            }
            Files.writeString(file, JSON.writeValueAsString(row) + "\n", StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void log(Path file, GrpoStep st, int set) {
        log(file, st, set, Double.NaN);
    }

    /** Appends an update's rows; {@code topK} is the reward of the policy's deterministic top-K after the update. */
    static void log(Path file, GrpoStep st, int set, double topK) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Map<String, Object> scalars = new LinkedHashMap<>();
            scalars.put("kind", "scalars");
            scalars.put("step", st.step());
            scalars.put("set", set);
            scalars.put("scene", st.scene());
            scalars.put("reward/mean", st.meanReward());
            for (String k : st.members().get(0).rewards().keySet()) {
                scalars.put("reward/" + k, st.members().stream().mapToDouble(m -> m.rewards().get(k)).average().orElse(0));
                scalars.put("reward_std/" + k, std(st.members().stream().mapToDouble(m -> m.rewards().get(k)).toArray()));
            }
            scalars.put("loss/policy", st.loss());
            scalars.put("kl", st.kl());
            scalars.put("clip_fraction", st.clipFraction());
            scalars.put("grad_norm", st.gradNorm());
            scalars.put("entropy", st.entropy());
            scalars.put("ratio_first_epoch", st.samplerRatio());
            if (!Double.isNaN(topK)) {
                scalars.put("top_k_reward", topK);
            }
            scalars.put("budget", st.members().get(0).chosen() == null ? -1 : st.members().get(0).chosen().length);
            scalars.put("zero_spread", st.zeroSpread());
            scalars.put("time/rollout_ms", st.rolloutMs());
            scalars.put("time/reward_ms", st.rewardMs());
            scalars.put("time/update_ms", st.updateMs());
            StringBuilder sb = new StringBuilder(JSON.writeValueAsString(scalars)).append('\n');
            for (GrpoStep.Member m : st.members()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("kind", "member");
                row.put("step", st.step());
                row.put("member", m.index());
                row.put("rewards", m.rewards());
                row.put("reward", m.reward());
                row.put("advantage", m.advantage());
                row.put("logProb", m.logProb());
                row.put("keptPerFrame", m.keptPerFrame());
                row.put("chosen", m.chosen()); // since issue 11: lets the audit measure overlap within a group
                sb.append(JSON.writeValueAsString(row)).append('\n');
            }
            Files.writeString(file, sb.toString(), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static double std(double[] x) {
        double m = 0;
        for (double v : x) {
            m += v / x.length;
        }
        double s = 0;
        for (double v : x) {
            s += (v - m) * (v - m) / x.length;
        }
        return Math.sqrt(s);
    }
}
