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
import org.inflvg.reward.HybridReward;
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
     * Validation during amortised training: every {@code every} updates (and after the last) the policy's
     * deterministic top-{@code k} is scored on the first scene switch of {@code sets} under {@code seeds}, as {@code
     * bench selectors --scenes 2} scores it (the hybrid reward of the whole generated scene), and the best policy so far
     * is kept in {@code out/best/}.
     *
     * @param sets   prompt sets of a split the policy does not train on (the validation split)
     * @param seeds  noise seeds per set
     * @param every  updates between validations, at least 1
     * @param k      kept tokens at validation, in [1, 4096]
     * @param reward the hybrid reward that scores them
     */
    public record Validation(List<Eps> sets, long[] seeds, int every, int k, HybridReward reward) {

        /** Checks the settings; messages name the setting and its range. */
        public Validation {
            if (sets.isEmpty() || seeds.length == 0) {
                throw new IllegalArgumentException("validation needs at least one prompt set and one seed");
            }
            if (every < 1) {
                throw new IllegalArgumentException("validation every N updates needs N >= 1, got " + every);
            }
            if (k < 1 || k > 4096) {
                throw new IllegalArgumentException("validation K must be in [1, 4096] kept tokens, got " + k);
            }
        }
    }

    /** Amortised training without validation; see the overload with {@link Validation}. */
    public static GrpoStep amortised(InfLVG lvg, ContextPolicy policy, RewardFunction reward, GrpoConfig cfg,
                                     List<Eps> sets, int steps, Path out, int checkpointEvery, int history,
                                     Consumer<GrpoStep> progress) {
        return amortised(lvg, policy, reward, cfg, sets, steps, out, checkpointEvery, history, null, progress);
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
     *
     * <p>With a {@code validation} (null: none), every {@code validation.every()} updates and after the last one (and
     * at a resume when {@code out/best/} holds no policy yet, so that the policy resumed from competes) a
     * {@code "validation"} row goes to the log ({@code step}, {@code mean}, {@code ci95}, {@code k}, {@code best}) and
     * the policy is copied to {@code out/best/} whenever its validation mean is the highest so far ({@code
     * out/best/best.json} says at which update). The validation generates its own stories with its own seeds, so it
     * changes no update: a run with it equals one without. Runs of one command differ, and a run can end weaker than
     * it was part-way (data/README.md), so the best checkpoint is the one to keep.
     *
     * <p>After every update the log's row also holds the policy's top-K on the run's fixed {@link #probe} and its share
     * on the subject ({@link ProbeRow}), which {@link Audit} turns into turnover and subject lines.
     */
    public static GrpoStep amortised(InfLVG lvg, ContextPolicy policy, RewardFunction reward, GrpoConfig cfg,
                                     List<Eps> sets, int steps, Path out, int checkpointEvery, int history,
                                     Validation validation, Consumer<GrpoStep> progress) {
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
        try (GrpoTrainer t = lvg.grpo(policy, cfg, reward); Story probe = probe(lvg, sets.get(0))) {
            double[] onSubject = org.inflvg.Provenance.subjectShares(probe, probe.cache().size());
            if (Files.isRegularFile(state)) {
                start = JSON.readTree(state.toFile()).get("step").asLong();
                checkSameConfig(out, policy.config());
                policy.weights().load(out.resolve("policy.bin"));
                t.loadState(out, start);
            }
            logRun(out.resolve("grpo-log.jsonl"), "amortised", reward, cfg, start, lvg);
            if (validation != null && start > 0 && start < steps
                    && !Files.isRegularFile(out.resolve("best").resolve("best.json"))) {
                validate(lvg, policy, validation, out, start); // a resumed policy is the first candidate for best/
            }
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
                    t.learningRateScale(cfg.learningRateScale(i, steps));
                    last = t.step(story);
                    topK = t.evaluate(story).total();
                }
                log(out.resolve("grpo-log.jsonl"), last, e.index(), topK, ProbeRow.of(chosenBy(t.topK(probe)), onSubject));
                progress.accept(last);
                if ((i + 1) % checkpointEvery == 0 || i + 1 == steps) {
                    checkpoint(policy, t, out, i + 1);
                }
                if (validation != null && ((i + 1) % validation.every() == 0 || i + 1 == steps)) {
                    validate(lvg, policy, validation, out, i + 1);
                }
            }
            return last;
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Seed of the probe story whose top-K every update of an amortised run logs ({@code probe_top_k}). */
    public static final long PROBE_SEED = 977;

    /**
     * The fixed probe of an amortised run: the first training set's first scene, generated once (seed {@link
     * #PROBE_SEED}, full context, so the same in every run and at a resume), before its first switch. After each
     * update the policy's deterministic top-K on it is logged: how much of it changes from one update to the next
     * shows how fast the policy's decisions move, on one input that stays the same, which the training transitions
     * (a different one each update) cannot show.
     */
    static Story probe(InfLVG lvg, Eps first) {
        Story probe = lvg.story(new Eps(first.index(), first.scenes().subList(0, 2), first.identity(), first.split()))
                .seed(PROBE_SEED).selector(org.inflvg.select.Selectors.full());
        try {
            probe.next();
            return probe;
        } catch (RuntimeException ex) {
            probe.close();
            throw ex;
        }
    }

    /**
     * What an update logs about the probe: the tokens its top-K chose ({@code probe_top_k}), the share of them on the
     * subject ({@code probe_on_subject}; {@link org.inflvg.Provenance#ON_SUBJECT} of the patch, SpriteWorld's colour
     * proxy) and the share of the whole probe history on the subject ({@code probe_history_on_subject}: what a random
     * selection keeps).
     */
    record ProbeRow(int[] topK, double onSubject, double historyOnSubject) {

        static ProbeRow of(int[] topK, double[] subjectShares) {
            double on = java.util.Arrays.stream(topK).filter(i -> subjectShares[i] >= org.inflvg.Provenance.ON_SUBJECT)
                    .count() / (double) Math.max(1, topK.length);
            double hist = java.util.Arrays.stream(subjectShares).filter(v -> v >= org.inflvg.Provenance.ON_SUBJECT)
                    .count() / (double) Math.max(1, subjectShares.length);
            return new ProbeRow(topK, on, hist);
        }
    }

    /** The tokens a selection chose, anchors (kept by rule) left out; ascending. */
    static int[] chosenBy(org.inflvg.select.Selection sel) {
        int[] anchors = sel.anchors();
        return java.util.Arrays.stream(sel.keptTokens()).filter(k -> java.util.Arrays.binarySearch(anchors, k) < 0)
                .toArray();
    }

    /** How far below the best validation score the last one may fall before the summary advises {@code best/}. */
    public static final double LAST_BELOW_BEST = 0.05;

    /**
     * The closing lines of a run trained with validation: the best checkpoint (update, score, folder) and the last
     * validation's score; when the last scores more than {@link #LAST_BELOW_BEST} below the best, advice to use
     * {@code best/} (a run that ended weak). Null when the run has no {@code best/}.
     */
    public static String validationSummary(Path out) throws IOException {
        Path bestFile = out.resolve("best").resolve("best.json");
        if (!Files.isRegularFile(bestFile)) {
            return null;
        }
        var b = JSON.readTree(bestFile.toFile());
        com.fasterxml.jackson.databind.JsonNode last = null;
        Path log = out.resolve("grpo-log.jsonl");
        if (Files.isRegularFile(log)) {
            for (String line : Files.readAllLines(log)) {
                if (line.contains("\"validation\"")) {
                    try {
                        var row = JSON.readTree(line);
                        if (row.path("kind").asText().equals("validation")) {
                            last = row;
                        }
                    } catch (IOException cut) {
                        // a line cut short by a live run
                    }
                }
            }
        }
        Path bestDir = bestFile.getParent().toAbsolutePath();
        StringBuilder sb = new StringBuilder(String.format(java.util.Locale.ROOT, "best on validation (%d sets, K %d): "
                + "update %d, hybrid %.3f +- %.3f, in %s (the log's \"validation\" rows hold every score)",
                b.get("sets").asInt(), b.get("k").asInt(), b.get("step").asLong(), b.get("mean").asDouble(),
                b.get("ci95").asDouble(), bestDir));
        if (last != null && last.get("step").asLong() != b.get("step").asLong()) {
            double drop = b.get("mean").asDouble() - last.get("mean").asDouble();
            sb.append(String.format(java.util.Locale.ROOT, "%nlast validation: update %d, hybrid %.3f (%.3f below the "
                    + "best)", last.get("step").asLong(), last.get("mean").asDouble(), drop));
            if (drop > LAST_BELOW_BEST) {
                sb.append(String.format(java.util.Locale.ROOT, "%nWARNING: the run ended weaker than its best "
                        + "checkpoint; use %s (e.g. --selector policy:%d@%s), not the last policy in %s",
                        bestDir, b.get("k").asInt(), bestDir, out.toAbsolutePath()));
            }
        }
        return sb.toString();
    }

    /** One validation: scores the policy's top-K, logs the row, keeps the best policy in {@code out/best/}. */
    static double validate(InfLVG lvg, ContextPolicy policy, Validation v, Path out, long step) throws IOException {
        var row = org.inflvg.bench.SelectorComparison.run(lvg, v.reward(), v.sets(), 2,
                List.of(new PolicySelector(policy, v.k(), false)), v.seeds(), done -> { }).rows().get(0);
        Path bestDir = out.resolve("best"), bestFile = bestDir.resolve("best.json");
        double before = Files.isRegularFile(bestFile) ? JSON.readTree(bestFile.toFile()).get("mean").asDouble()
                : Double.NEGATIVE_INFINITY;
        boolean best = row.mean() > before;
        if (best) {
            Files.createDirectories(bestDir);
            policy.save(bestDir);
            Path tmp = Files.createTempFile(bestDir, "best", ".tmp");
            JSON.writeValue(tmp.toFile(), Map.of("step", step, "mean", row.mean(), "ci95", row.ci95(), "k", v.k(),
                    "sets", v.sets().size(), "seeds", v.seeds().length));
            Files.move(tmp, bestFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        Map<String, Object> log = new LinkedHashMap<>();
        log.put("kind", "validation");
        log.put("step", step);
        log.put("mean", row.mean());
        log.put("ci95", row.ci95());
        log.put("alignment", row.alignment());
        log.put("artifact", row.artifact());
        log.put("identity", row.identity());
        log.put("k", v.k());
        log.put("sets", v.sets().size());
        log.put("best", best);
        Files.writeString(out.resolve("grpo-log.jsonl"), JSON.writeValueAsString(log) + "\n",
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return row.mean();
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
     * A resume must continue the policy it finds: the configuration in {@code out/policy.json} (budget, text prior,
     * logit scale, sizes) must equal the one asked for, or the run would silently change what it trains.
     */
    public static void checkSameConfig(Path out, org.inflvg.policy.PolicyConfig asked) {
        Path file = out.resolve("policy.json");
        if (!Files.isRegularFile(file)) {
            return;
        }
        org.inflvg.policy.PolicyConfig saved;
        try {
            saved = org.inflvg.policy.PolicyConfig.fromJson(JSON.readTree(file.toFile()).get("config"));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read " + file + " to resume: " + e.getMessage());
        }
        if (!saved.equals(asked)) {
            throw new IllegalArgumentException("cannot resume " + out + ": its policy was trained as " + saved
                    + " but this run asks for " + asked + ". Use the same --budget, --text-prior, --logit-scale and "
                    + "--centre-tokens as the run that wrote it, or another --out for a new run");
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

    /** Appends an update's rows without a probe; see {@link #log(Path, GrpoStep, int, double, ProbeRow)}. */
    static void log(Path file, GrpoStep st, int set, double topK) {
        log(file, st, set, topK, null);
    }

    /**
     * Appends an update's rows; {@code topK} is the reward of the policy's deterministic top-K after the update, {@code
     * probe} (null: none) what that top-K chooses on the run's fixed {@link #probe}.
     */
    static void log(Path file, GrpoStep st, int set, double topK, ProbeRow probe) {
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
            if (st.candidates() > 0) {
                scalars.put("candidates", st.candidates());
                scalars.put("entropy_below_uniform", st.entropyBelowUniform());
            }
            scalars.put("ratio_first_epoch", st.samplerRatio());
            if (!Double.isNaN(topK)) {
                scalars.put("top_k_reward", topK);
            }
            if (probe != null) {
                scalars.put("probe_top_k", probe.topK());
                scalars.put("probe_on_subject", probe.onSubject());
                scalars.put("probe_history_on_subject", probe.historyOnSubject());
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
