package org.inflvg.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.inflvg.InfLVG;
import org.inflvg.Story;
import org.inflvg.TestModels;
import org.inflvg.policy.ContextPolicy;
import org.inflvg.policy.PolicyConfig;
import org.inflvg.policy.PolicySelector;
import org.inflvg.select.Selection;
import org.inflvg.select.SelectionRequest;
import org.inflvg.world.Eps;
import org.inflvg.world.EpsGenerator;
import org.inflvg.world.Split;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Amortised training over several history lengths: which switch each update uses, resume, and that it learns. */
class PolicyTrainingTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void randomModel() {
        TestModels.saveRandom(dir);
    }

    static List<Integer> scenesOfUpdates(Path log) throws Exception {
        List<Integer> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(log)) {
            JsonNode row = json.readTree(line);
            if (row.get("kind").asText().equals("scalars")) {
                out.add(row.get("scene").asInt());
            }
        }
        return out;
    }

    @Test
    void historiesCycleResumeAndTheLaterSwitchIsLearned(@TempDir Path out) throws Exception {
        int tpf = TestModels.SMALL.tokensPerFrame();
        List<Eps> sets = EpsGenerator.generate(Split.TRAIN, 2, 3, 0);
        GrpoConfig cfg = GrpoConfig.DEFAULT.withGroupSize(8).withRolloutChunks(1).withLearningRate(1e-2);
        try (InfLVG lvg = InfLVG.load(dir); NDManager pm = NDManager.newBaseManager()) {
            ContextPolicy policy = new ContextPolicy(PolicyConfig.forModel(TestModels.SMALL).withBudget(tpf), pm, 3);
            double before = frameOneShareAtSecondSwitch(lvg, policy, sets.get(0));
            PolicyTraining.amortised(lvg, policy, frameOneReward(), cfg, sets, 4, out, 2, 2, st -> { });
            // update i: set i mod 2, switch into scene 1 + (i + i / 2) mod 2: each set meets both histories
            assertEquals(List.of(1, 2, 2, 1), scenesOfUpdates(out.resolve("grpo-log.jsonl")));
            assertTrue(Files.isRegularFile(out.resolve("policy.bin")));
            JsonNode run = new ObjectMapper().readTree(Files.readAllLines(out.resolve("grpo-log.jsonl")).get(0));
            assertEquals("run", run.get("kind").asText());
            assertEquals(lvg.checksum(), run.get("modelSha256").asText());
            assertEquals(TestModels.SMALL.denoiseSteps(), run.get("sampling").get("steps").asInt(),
                    "the run row says how the rollouts were sampled");
            // resume: asking for 24 runs only the 20 missing updates, continuing the cycle
            PolicyTraining.amortised(lvg, policy, frameOneReward(), cfg, sets, 24, out, 2, 2, st -> { });
            List<Integer> scenes = scenesOfUpdates(out.resolve("grpo-log.jsonl"));
            assertEquals(24, scenes.size());
            assertEquals(List.of(1, 2, 2, 1), scenes.subList(4, 8));
            double after = frameOneShareAtSecondSwitch(lvg, policy, sets.get(0));
            assertTrue(after > before + 0.3, "at the second switch (two scenes of history) the top-K share of frame 1 "
                    + "should rise: " + before + " -> " + after);
        }
    }

    /**
     * Validation during training: one row per validation in the log, the best-scoring policy kept in best/ (its score
     * recomputed from the saved file equals the logged best), and the updates are the same as without validation.
     */
    @Test
    void validationKeepsTheBestPolicyAndChangesNoUpdate(@TempDir Path with, @TempDir Path without, @TempDir Path again)
            throws Exception {
        int tpf = TestModels.SMALL.tokensPerFrame();
        List<Eps> sets = EpsGenerator.generate(Split.TRAIN, 2, 2, 0);
        GrpoConfig cfg = GrpoConfig.DEFAULT.withGroupSize(4).withRolloutChunks(1).withLearningRate(3e-2);
        try (InfLVG lvg = InfLVG.load(dir); NDManager pm = NDManager.newBaseManager()) {
            var v = new PolicyTraining.Validation(EpsGenerator.generate(Split.VAL, 2, 2, 0), new long[] {0, 1}, 2, tpf,
                    new org.inflvg.reward.HybridReward(org.inflvg.reward.ColourJudges.colour(16)));
            PolicyConfig pc = PolicyConfig.forModel(TestModels.SMALL).withBudget(tpf);
            PolicyTraining.amortised(lvg, new ContextPolicy(pc, pm, 3), frameOneReward(), cfg, sets, 6, with, 2, 1, v,
                    st -> { });
            PolicyTraining.amortised(lvg, new ContextPolicy(pc, pm, 3), frameOneReward(), cfg, sets, 6, without, 2, 1,
                    null, st -> { });
            assertEquals(org.inflvg.model.Weights.sha256(without.resolve("policy.bin")),
                    org.inflvg.model.Weights.sha256(with.resolve("policy.bin")), "validation must not change an update");
            ObjectMapper json = new ObjectMapper();
            List<Long> steps = new ArrayList<>();
            double best = Double.NEGATIVE_INFINITY;
            long bestStep = -1;
            for (String line : Files.readAllLines(with.resolve("grpo-log.jsonl"))) {
                JsonNode row = json.readTree(line);
                if (row.get("kind").asText().equals("validation")) {
                    steps.add(row.get("step").asLong());
                    boolean higher = row.get("mean").asDouble() > best;
                    assertEquals(higher, row.get("best").asBoolean(), "best flag at update " + row.get("step"));
                    if (higher) {
                        best = row.get("mean").asDouble();
                        bestStep = row.get("step").asLong();
                    }
                }
            }
            assertEquals(List.of(2L, 4L, 6L), steps);
            JsonNode kept = json.readTree(with.resolve("best/best.json").toFile());
            assertEquals(bestStep, kept.get("step").asLong());
            assertEquals(best, kept.get("mean").asDouble(), 1e-12);
            ContextPolicy saved = ContextPolicy.load(with.resolve("best"), pm);
            assertEquals(best, PolicyTraining.validate(lvg, saved, v, again, 0), 1e-9,
                    "the kept policy scores what the log says");
            Audit.of(with).write(again);
            assertTrue(Files.size(again.resolve("audit-validation.png")) > 1000, "the validation plot");
            String audit = Audit.of(with).summary();
            assertTrue(audit.contains("validation (top-" + tpf + " on 2 sets, 3 scores)")
                    && audit.contains(String.format(java.util.Locale.ROOT, "best %.3f", best)), audit);
            // a resume with no best/ yet scores the policy it resumes from first, then goes on as before
            try (var files = Files.walk(with.resolve("best"))) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
            PolicyTraining.amortised(lvg, new ContextPolicy(pc, pm, 3), frameOneReward(), cfg, sets, 8, with, 2, 1, v,
                    st -> { });
            List<Long> resumed = new ArrayList<>();
            for (String line : Files.readAllLines(with.resolve("grpo-log.jsonl"))) {
                JsonNode row = json.readTree(line);
                if (row.get("kind").asText().equals("validation")) {
                    resumed.add(row.get("step").asLong());
                }
            }
            assertEquals(List.of(2L, 4L, 6L, 6L, 8L), resumed);
            assertTrue(Files.isRegularFile(with.resolve("best/best.json")));
            assertThrows(IllegalArgumentException.class, () -> new PolicyTraining.Validation(v.sets(), v.seeds(), 0,
                    tpf, v.reward()));
        }
    }

    /**
     * --lr-floor: update 1 runs at the full rate (update 2's log-probabilities equal a constant run's), the later ones
     * slower (update 3's differ, and so does the final policy).
     */
    @Test
    void theLearningRateScheduleReachesTheUpdates(@TempDir Path constant, @TempDir Path decayed) throws Exception {
        int tpf = TestModels.SMALL.tokensPerFrame();
        List<Eps> sets = EpsGenerator.generate(Split.TRAIN, 2, 2, 0);
        GrpoConfig cfg = GrpoConfig.DEFAULT.withGroupSize(4).withRolloutChunks(1).withLearningRate(3e-2);
        try (InfLVG lvg = InfLVG.load(dir); NDManager pm = NDManager.newBaseManager()) {
            PolicyConfig pc = PolicyConfig.forModel(TestModels.SMALL).withBudget(tpf);
            PolicyTraining.amortised(lvg, new ContextPolicy(pc, pm, 3), frameOneReward(), cfg, sets, 4, constant, 2, 1,
                    null, st -> { });
            PolicyTraining.amortised(lvg, new ContextPolicy(pc, pm, 3), frameOneReward(), cfg.withLrFloor(0.01), sets, 4,
                    decayed, 2, 1, null, st -> { });
            assertEquals(memberLogProbs(constant, 2), memberLogProbs(decayed, 2), "update 1 runs at the full rate");
            assertNotEquals(memberLogProbs(constant, 3), memberLogProbs(decayed, 3), "update 2 runs slower");
            assertNotEquals(org.inflvg.model.Weights.sha256(constant.resolve("policy.bin")),
                    org.inflvg.model.Weights.sha256(decayed.resolve("policy.bin")));
            JsonNode run = new ObjectMapper().readTree(Files.readAllLines(decayed.resolve("grpo-log.jsonl")).get(0));
            assertEquals(0.01, run.get("config").get("lrFloor").asDouble(), "the run row records the schedule");
        }
    }

    private static List<Double> memberLogProbs(Path run, long step) throws Exception {
        List<Double> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(run.resolve("grpo-log.jsonl"))) {
            JsonNode row = json.readTree(line);
            if (row.get("kind").asText().equals("member") && row.get("step").asLong() == step) {
                out.add(row.get("logProb").asDouble());
            }
        }
        assertTrue(!out.isEmpty(), "no member rows for update " + step);
        return out;
    }

    /** The closing summary names the best checkpoint and, when the run ended more than 0.05 below it, says to use it. */
    @Test
    void theSummaryAdvisesBestWhenTheRunEndedWeak(@TempDir Path weak, @TempDir Path fine, @TempDir Path none)
            throws Exception {
        for (Path out : List.of(weak, fine)) {
            Files.createDirectories(out.resolve("best"));
            Files.writeString(out.resolve("best").resolve("best.json"),
                    "{\"step\":300,\"mean\":1.9,\"ci95\":0.2,\"k\":128,\"sets\":10,\"seeds\":1}");
            double last = out == weak ? 1.58 : 1.88;
            Files.writeString(out.resolve("grpo-log.jsonl"), String.join("\n",
                    "{\"kind\":\"validation\",\"step\":300,\"mean\":1.9,\"best\":true}",
                    "{\"kind\":\"scalars\",\"step\":301}",
                    "{\"kind\":\"validation\",\"step\":400,\"mean\":" + last + ",\"best\":false}",
                    "{\"kind\":\"validat") + "\n"); // a live run's cut line is skipped
        }
        String w = PolicyTraining.validationSummary(weak);
        assertTrue(w.contains("update 300, hybrid 1.900 +- 0.200"), w);
        assertTrue(w.contains("last validation: update 400, hybrid 1.580 (0.320 below the best)"), w);
        assertTrue(w.contains("WARNING: the run ended weaker than its best checkpoint; use "
                + weak.resolve("best").toAbsolutePath()), w);
        String f = PolicyTraining.validationSummary(fine);
        assertTrue(f.contains("(0.020 below the best)") && !f.contains("WARNING"), f);
        assertEquals(null, PolicyTraining.validationSummary(none), "no best/: no summary");
    }

    /**
     * Every update logs the policy's top-K on the run's fixed probe: K tokens, anchors left out; the last row equals the
     * top-K the saved policy chooses on a probe rebuilt from scratch (the probe is deterministic, also at a resume);
     * the audit's turnover is the share of one row's tokens missing from the next.
     */
    @Test
    void theProbeTopKFollowsThePolicyOnAFixedInput(@TempDir Path learning) throws Exception {
        int tpf = TestModels.SMALL.tokensPerFrame();
        List<Eps> sets = EpsGenerator.generate(Split.TRAIN, 2, 2, 0);
        GrpoConfig cfg = GrpoConfig.DEFAULT.withGroupSize(4).withRolloutChunks(1).withLearningRate(3e-2);
        PolicyConfig pc = PolicyConfig.forModel(TestModels.SMALL).withBudget(tpf);
        try (InfLVG lvg = InfLVG.load(dir); NDManager pm = NDManager.newBaseManager()) {
            PolicyTraining.amortised(lvg, new ContextPolicy(pc, pm, 3), frameOneReward(), cfg, sets, 3, learning, 3, 1,
                    null, st -> { });
            PolicyTraining.amortised(lvg, new ContextPolicy(pc, pm, 3), frameOneReward(), cfg, sets, 6, learning, 3, 1,
                    null, st -> { }); // resumed: the probe is rebuilt
            List<int[]> probes = new ArrayList<>();
            ObjectMapper json = new ObjectMapper();
            for (String line : Files.readAllLines(learning.resolve("grpo-log.jsonl"))) {
                JsonNode row = json.readTree(line);
                if (row.get("kind").asText().equals("scalars")) {
                    int[] p = new int[row.get("probe_top_k").size()];
                    for (int i = 0; i < p.length; i++) {
                        p[i] = row.get("probe_top_k").get(i).asInt();
                    }
                    probes.add(p);
                }
            }
            assertEquals(6, probes.size());
            for (int[] p : probes) {
                assertEquals(tpf, p.length, "K tokens chosen, anchors left out");
            }
            try (ContextPolicy saved = ContextPolicy.load(learning, pm); Story probe = PolicyTraining.probe(lvg, sets.get(0));
                 GrpoTrainer t = lvg.grpo(saved, cfg, frameOneReward())) {
                assertArrayEquals(probes.get(5), PolicyTraining.chosenBy(t.topK(probe)),
                        "the last row is the saved policy's top-K on the probe");
                // its subject share: the chosen tokens' share on the subject, as provenance counts it
                var row = PolicyTraining.ProbeRow.of(probes.get(5), org.inflvg.Provenance.subjectShares(probe,
                        probe.cache().size()));
                Audit.Update last = Audit.of(learning).updates().get(5);
                assertEquals(row.onSubject(), last.probeOnSubject(), 1e-12);
                assertEquals(row.historyOnSubject(), last.probeHistoryOnSubject(), 1e-12);
                assertTrue(last.probeHistoryOnSubject() > 0 && last.probeHistoryOnSubject() < 1,
                        "the probe's history holds subject and other tokens: " + last.probeHistoryOnSubject());
            }
            Audit moved = Audit.of(learning);
            assertTrue(Double.isNaN(moved.probeTurnover()[0]) && !Double.isNaN(moved.probeTurnover()[3]),
                    "the first update has no previous one; the resume's first update has");
            for (int u = 1; u < 6; u++) {
                assertEquals(Audit.replaced(probes.get(u - 1), probes.get(u)), moved.probeTurnover()[u], 1e-12);
            }
            assertTrue(moved.probeDrift()[5] > 0, "six updates at 3e-2 change the top-K on the probe");
            assertTrue(moved.summary().contains("top-K turnover on the fixed probe"), moved.summary());
        }
    }

    /** A resume with another policy configuration (here the logit scale) is refused, naming both and the flags. */
    @Test
    void aResumeWithAnotherPolicyConfigurationIsRefused(@TempDir Path out) {
        int tpf = TestModels.SMALL.tokensPerFrame();
        List<Eps> sets = EpsGenerator.generate(Split.TRAIN, 1, 2, 0);
        GrpoConfig cfg = GrpoConfig.DEFAULT.withGroupSize(4).withRolloutChunks(1);
        PolicyConfig pc = PolicyConfig.forModel(TestModels.SMALL).withBudget(tpf);
        try (InfLVG lvg = InfLVG.load(dir); NDManager pm = NDManager.newBaseManager()) {
            PolicyTraining.amortised(lvg, new ContextPolicy(pc, pm, 3), frameOneReward(), cfg, sets, 1, out, 1, 1, st -> { });
            var e = assertThrows(IllegalArgumentException.class, () -> PolicyTraining.amortised(lvg,
                    new ContextPolicy(pc.withLogitScale(10), pm, 3), frameOneReward(), cfg, sets, 2, out, 1, 1, st -> { }));
            assertTrue(e.getMessage().contains("logitScale=1.0") && e.getMessage().contains("logitScale=10.0")
                    && e.getMessage().contains("--logit-scale"), e.getMessage());
            // the same configuration resumes
            PolicyTraining.amortised(lvg, new ContextPolicy(pc, pm, 3), frameOneReward(), cfg, sets, 2, out, 1, 1, st -> { });
        }
    }

    /** The half-cosine multiple: 1 first, the floor last, their mean half-way; constant when the floor is 1. */
    @Test
    void learningRateScaleFollowsAHalfCosine() {
        GrpoConfig c = GrpoConfig.DEFAULT.withLrFloor(0.1);
        assertEquals(1.0, c.learningRateScale(0, 401), 1e-12);
        assertEquals(0.55, c.learningRateScale(200, 401), 1e-12);
        assertEquals(0.1, c.learningRateScale(400, 401), 1e-12);
        for (int i = 1; i < 401; i++) {
            assertTrue(c.learningRateScale(i, 401) < c.learningRateScale(i - 1, 401), "falls at every update");
        }
        assertEquals(1.0, GrpoConfig.DEFAULT.learningRateScale(300, 401), 0.0);
        assertThrows(IllegalArgumentException.class, () -> GrpoConfig.DEFAULT.withLrFloor(0));
        assertEquals(3, GrpoConfig.DEFAULT.withClipGrad(3).clipGrad());
        for (double clip : new double[] {0, -1, Double.NaN, 2e6}) {
            assertThrows(IllegalArgumentException.class, () -> GrpoConfig.DEFAULT.withClipGrad(clip), "clip " + clip);
        }
        assertThrows(IllegalArgumentException.class, () -> GrpoConfig.DEFAULT.withLrFloor(1.5));
    }

    @Test
    void setsTooShortForTheHistoryAreRefused(@TempDir Path out) {
        List<Eps> sets = EpsGenerator.generate(Split.TRAIN, 1, 2, 0);
        try (InfLVG lvg = InfLVG.load(dir); NDManager pm = NDManager.newBaseManager()) {
            ContextPolicy policy = new ContextPolicy(PolicyConfig.forModel(TestModels.SMALL).withBudget(8), pm, 3);
            var e = assertThrows(IllegalArgumentException.class, () -> PolicyTraining.amortised(lvg, policy,
                    frameOneReward(), GrpoConfig.DEFAULT, sets, 2, out, 2, 2, st -> { }));
            assertTrue(e.getMessage().contains("needs 3"), e.getMessage());
        }
    }

    /**
     * Pays for keeping tokens of frame 1 (scene 0's second frame): the same target at every history length, and one an
     * untrained policy misses (its top-K is the first K tokens, all of frame 0).
     */
    static RewardFunction frameOneReward() {
        return group -> {
            List<RewardFunction.Score> out = new ArrayList<>();
            for (Selection s : group.selections()) {
                double share = s.keptPerFrame()[1] / (double) s.size();
                out.add(new RewardFunction.Score(java.util.Map.of("frameOne", share), share));
            }
            return out;
        };
    }

    /** Share of the policy's deterministic top-K on frame 1, at the switch into scene 2. */
    static double frameOneShareAtSecondSwitch(InfLVG lvg, ContextPolicy policy, Eps eps) {
        PolicySelector top = new PolicySelector(policy, policy.config().budget(), false);
        try (Story story = lvg.story(eps).seed(5).selector(top)) {
            story.next();
            story.next();
            Selection s = top.select(new SelectionRequest(lvg.model(), story.cache(), story.cache().size(),
                    eps.scenes().get(2), SelectionRequest.subjectOf(eps.scenes().get(2)), 2, 0));
            return s.keptPerFrame()[1] / (double) s.size();
        }
    }
}
