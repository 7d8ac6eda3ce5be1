package org.inflvg.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.inflvg.reward.ColourJudges;
import org.inflvg.reward.HybridReward;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reward audit on synthetic GRPO logs written through {@link PolicyTraining}'s own log format. */
class AuditTest {

    static final int G = 8, CANDIDATES = 400, K = 24;

    /** How the synthetic run behaves: component values per (update, member), entropy and zero spread per update. */
    interface Behaviour {
        Map<String, Double> rewards(int update, int member, Random r);

        default double entropy(int update, int n) {
            return 6.0 - 0.6 * update / n; // a slow, healthy decline
        }

        default boolean zeroSpread(int update) {
            return false;
        }

        /** The PPO ratio at the first epoch (1 when the sampler and the log-probability agree). */
        default double ratio(int update) {
            return 1.0;
        }

        /** The gradient norm before clipping. */
        default double gradNorm(int update) {
            return 0.5;
        }

        /** Tokens the policy chose from (-1: not logged, as in logs written before the count was). */
        default int candidates() {
            return CANDIDATES;
        }

        /** The deterministic top-K reward after the update (NaN: not logged). */
        default double topK(int update) {
            return Double.NaN;
        }

        /** The top-K on the run's fixed probe after the update (null: not logged). */
        default int[] probe(int update) {
            return null;
        }

        /** Share of the probe's top-K on the subject and of its history (logged with the probe). */
        default double[] subject(int update) {
            return new double[] {0.16, 0.08};
        }
    }

    /** Noisy components with a mild common improvement: what a working run looks like. */
    static final Behaviour HEALTHY = (u, m, r) -> components(0.40 + 0.001 * u + 0.05 * r.nextGaussian(),
            0.85 + 0.03 * r.nextGaussian(), 0.50 + 0.001 * u + 0.06 * r.nextGaussian(), 0.9 + 0.1 * r.nextDouble());

    static Map<String, Double> components(double align, double artifact, double identity, double presence) {
        Map<String, Double> c = new LinkedHashMap<>();
        c.put("alignment", align);
        c.put("artifact", artifact);
        c.put("identity", identity);
        c.put("presence", presence);
        return c;
    }

    static Path write(Path dir, int updates, Behaviour b) {
        Random r = new Random(11);
        Path file = dir.resolve("grpo-log.jsonl");
        PolicyTraining.logRun(file, "amortised", new HybridReward(ColourJudges.colour(16)), GrpoConfig.DEFAULT, 0);
        for (int u = 0; u < updates; u++) {
            List<GrpoStep.Member> members = new ArrayList<>();
            for (int g = 0; g < G; g++) {
                Map<String, Double> c = b.rewards(u, g, r);
                int[] chosen = r.ints(0, CANDIDATES).distinct().limit(K).sorted().toArray();
                members.add(new GrpoStep.Member(g, K + 192, new int[] {K}, c,
                        c.get("alignment") + c.get("artifact") + c.get("identity"), r.nextGaussian(), -120, chosen));
            }
            GrpoStep st = new GrpoStep(u + 1, 1, "A robot jumps in the desert", members, b.zeroSpread(u), 0.01, 0, 0,
                    b.gradNorm(u), b.entropy(u, updates), 100, 20, 5, b.ratio(u), b.candidates());
            PolicyTraining.log(file, st, u % 5, b.topK(u), b.probe(u) == null ? null
                    : new PolicyTraining.ProbeRow(b.probe(u), b.subject(u)[0], b.subject(u)[1]));
        }
        return dir;
    }

    @Test
    void aSamplerThatDisagreesWithTheLogProbabilityIsFlagged(@TempDir Path dir) {
        Behaviour drift = new Behaviour() {
            public Map<String, Double> rewards(int u, int m, Random r) {
                return HEALTHY.rewards(u, m, r);
            }

            public double ratio(int u) {
                return u % 2 == 0 ? 1.0 : 1.08; // e.g. sampling at another temperature than the loss uses
            }

            public double topK(int u) {
                return 1.5;
            }
        };
        Audit a = Audit.of(write(dir, 40, drift));
        assertEquals(1, a.warnings().size(), a.summary());
        assertTrue(a.warnings().get(0).contains("sampler and the log-probability disagree"), a.summary());
        assertTrue(a.summary().contains("PPO ratio at the first epoch"), a.summary());
        assertTrue(a.summary().contains("budget K = " + K), a.summary());
        assertTrue(a.summary().contains("deterministic top-K reward (last"), a.summary());
    }

    /** Non-finite or enormous gradient norms (what a graph reading freed memory produced) are named by update. */
    @Test
    void wildGradientsAreFlagged(@TempDir Path dir) {
        Behaviour wild = new Behaviour() {
            public Map<String, Double> rewards(int u, int m, Random r) {
                return HEALTHY.rewards(u, m, r);
            }

            public double gradNorm(int u) {
                return u == 6 ? Double.POSITIVE_INFINITY : u == 20 ? 3.1e18 : u == 30 ? Double.NaN : 12 + u;
            }
        };
        Audit a = Audit.of(write(dir, 40, wild));
        assertEquals(1, a.warnings().size(), a.summary());
        assertTrue(a.warnings().get(0).startsWith("3 of 40 updates had a gradient norm that was not finite or above"),
                a.summary());
        assertTrue(a.warnings().get(0).contains("(updates 7, 21, 31)"), a.summary());
    }

    /** A run whose last validation fell more than 0.05 below its best is told to use best/; a small dip is not. */
    @Test
    void aRunThatEndedWeakerThanItsBestIsFlagged(@TempDir Path weak, @TempDir Path fine) throws Exception {
        for (Path dir : List.of(weak, fine)) {
            write(dir, 40, HEALTHY);
            double last = dir == weak ? 1.585 : 1.89;
            java.nio.file.Files.writeString(dir.resolve("grpo-log.jsonl"),
                    "{\"kind\":\"validation\",\"step\":20,\"mean\":1.916,\"ci95\":0.2,\"k\":24,\"sets\":10}\n"
                            + "{\"kind\":\"validation\",\"step\":40,\"mean\":" + last
                            + ",\"ci95\":0.2,\"k\":24,\"sets\":10}\n", java.nio.file.StandardOpenOption.APPEND);
        }
        Audit a = Audit.of(weak);
        assertEquals(1, a.warnings().size(), a.summary());
        assertTrue(a.warnings().get(0).startsWith("the run ended weaker than it was: the last validation (1.585 at "
                + "update 40) is 0.331 below the best (1.916 at update 20)"), a.summary());
        assertEquals(List.of(), Audit.of(fine).warnings());
    }

    /** The summary says how far the samples were from a uniform draw, and says so in words when they stayed near it. */
    @Test
    void samplesNearAUniformDrawAreNamed(@TempDir Path flat, @TempDir Path sharp, @TempDir Path old) throws Exception {
        Behaviour nearUniform = new Behaviour() {
            public Map<String, Double> rewards(int u, int m, Random r) {
                return HEALTHY.rewards(u, m, r);
            }

            public double entropy(int u, int n) {
                return Math.log(CANDIDATES) - 0.002 * u / n;   // what the shipped policy's log shows
            }
        };
        String s = Audit.of(write(flat, 40, nearUniform)).summary();
        assertTrue(s.contains("entropy below uniform (ln candidates - entropy): first 0.000, last 4 updates 0.002")
                && s.contains("nearly uniform random draws"), s);
        String h = Audit.of(write(sharp, 40, HEALTHY)).summary();   // entropy 6.0 -> 5.4 of ln 400 = 5.99
        assertTrue(h.contains("entropy below uniform") && !h.contains("nearly uniform random draws"), h);
        Behaviour unlogged = new Behaviour() {
            public Map<String, Double> rewards(int u, int m, Random r) {
                return HEALTHY.rewards(u, m, r);
            }

            public int candidates() {
                return -1;
            }
        };
        assertTrue(Audit.of(write(old, 40, unlogged)).summary().contains("not in this log"));
        // the gap has its own plot when the log holds the candidate count (the entropy itself swings with it)
        Audit.of(flat).write(flat.resolve("report"));
        assertTrue(Files.size(flat.resolve("report/audit-uniform.png")) > 1000);
        Audit.of(old).write(old.resolve("report"));
        assertFalse(Files.exists(old.resolve("report/audit-uniform.png")));
    }

    /**
     * The probe's top-K: the share replaced since the previous update and since the first, the largest turn named with
     * its update in the summary (the first tenth, where an untrained policy's ties break, left out), a plot and a
     * table column, and no warning: bursts of turnover come in healthy runs too; a log without it says so.
     */
    @Test
    void theProbeTurnoverIsMeasuredAndItsLargestTurnNamed(@TempDir Path dir, @TempDir Path old) throws Exception {
        Behaviour turning = new Behaviour() {
            public Map<String, Double> rewards(int u, int m, Random r) {
                return HEALTHY.rewards(u, m, r);
            }

            public int[] probe(int u) { // 20 tokens; one replaced per update until update 30, then 10 at once
                int shift = u < 30 ? u : u + 9;
                return java.util.stream.IntStream.range(shift, shift + 20).toArray();
            }
        };
        Audit a = Audit.of(write(dir, 40, turning));
        double[] turn = a.probeTurnover(), drift = a.probeDrift();
        assertTrue(Double.isNaN(turn[0]));
        assertEquals(0.05, turn[5], 1e-12);
        assertEquals(0.5, turn[30], 1e-12);
        assertEquals(0.25, drift[5], 1e-12);
        assertEquals(1.0, drift[39], 1e-12, "every token of the first top-K replaced by the end");
        String s = a.summary();
        assertTrue(s.contains("first 4 updates 0.050, last 4 0.050, largest after the first 4 0.500 at update 31; "
                + "replaced since the start: 1.000 at the end"), s);
        assertEquals(0.5, a.table().doubleColumn("probe replaced").get(30), 1e-12);
        assertEquals(List.of(), a.warnings());
        assertTrue(s.contains("subject kept by the top-K on the fixed probe: 16 % of its tokens at the last update (2.0x "
                + "the history's 8 %"), s);
        assertEquals(2.0, a.table().doubleColumn("probe subject x").get(39), 1e-9);
        a.write(dir.resolve("report"));
        assertTrue(Files.size(dir.resolve("report/audit-probe.png")) > 1000);
        assertTrue(Files.size(dir.resolve("report/audit-subject.png")) > 1000);
        Audit without = Audit.of(write(old, 40, HEALTHY));
        assertTrue(without.summary().contains("top-K turnover on the fixed probe: not in this log"), without.summary());
        without.write(old.resolve("report"));
        assertFalse(Files.exists(old.resolve("report/audit-probe.png")));
        assertFalse(Files.exists(old.resolve("report/audit-subject.png")));
    }

    /**
     * A top-K that kept the subject (2x the history's share) and ends at a random selection's share is named in the
     * summary (not as a warning); one that keeps it, or that never held it, is not.
     */
    @Test
    void aTopKThatLostTheSubjectIsNamed(@TempDir Path lost, @TempDir Path kept, @TempDir Path never) {
        abstract class WithProbe implements Behaviour {
            public Map<String, Double> rewards(int u, int m, Random r) {
                return HEALTHY.rewards(u, m, r);
            }

            public int[] probe(int u) {
                return java.util.stream.IntStream.range(u, u + 20).toArray();
            }
        }
        Audit a = Audit.of(write(lost, 40, new WithProbe() {
            public double[] subject(int u) {
                return new double[] {u == 39 ? 0.07 : 0.16, 0.08};
            }
        }));
        assertTrue(a.summary().contains("7 % of its tokens at the last update (0.9x the history's 8 %")
                && a.summary().contains("LOST since 2.0x at update 5"), a.summary());
        assertEquals(5, a.subjectLostSince().step());
        assertEquals(List.of(), a.warnings(), "a hint in the summary, not a warning: it also held for runs fine on test");
        Audit k = Audit.of(write(kept, 40, new WithProbe() { }));
        assertTrue(k.subjectLostSince() == null && !k.summary().contains("LOST"), k.summary());
        assertEquals(null, Audit.of(write(never, 40, new WithProbe() {
            public double[] subject(int u) {
                return new double[] {0.08, 0.08};
            }
        })).subjectLostSince(), "a top-K that never held the subject did not lose it");
    }

    @Test
    void aHealthyRunRaisesNoWarning(@TempDir Path dir) {
        Audit a = Audit.of(write(dir, 40, HEALTHY));
        System.out.println(a.summary());
        assertEquals(List.of(), a.warnings());
        assertEquals(40, a.updates().size());
        assertEquals(List.of("alignment", "artifact", "identity"), a.components());
        assertEquals(List.of("presence"), a.diagnostics());
        assertEquals(0, a.zeroSpreadShare());
        assertTrue(a.meanOverlap() > 0 && a.meanOverlap() < 0.2, "random draws of 24 of 400 overlap little: "
                + a.meanOverlap());
        assertEquals(40, a.table().rowCount());
        assertTrue(a.summary().contains("no warnings"), a.summary());
    }

    @Test
    void aConstantComponentRaisesTheMatchingWarning(@TempDir Path dir) {
        Audit a = Audit.of(write(dir, 30, (u, m, r) -> {
            Map<String, Double> c = HEALTHY.rewards(u, m, r);
            c.put("identity", 0.0); // e.g. a face detector that always fails
            return c;
        }));
        assertEquals(1, a.warnings().size(), a.warnings().toString());
        assertTrue(a.warnings().get(0).contains("'identity' is constant"), a.warnings().get(0));
    }

    @Test
    void eachFailurePatternRaisesItsWarning(@TempDir Path dir) throws Exception {
        Audit zero = Audit.of(write(dir.resolve("zero"), 30, new Behaviour() {
            public Map<String, Double> rewards(int u, int m, Random r) {
                return HEALTHY.rewards(u, m, r);
            }

            public boolean zeroSpread(int u) {
                return u % 4 != 0;
            }
        }));
        assertEquals(1, zero.warnings().size(), zero.warnings().toString());
        assertTrue(zero.warnings().get(0).contains("22 of 30 groups") && zero.warnings().get(0).contains("skipped"),
                zero.warnings().get(0));
        Audit collapse = Audit.of(write(dir.resolve("collapse"), 30, new Behaviour() {
            public Map<String, Double> rewards(int u, int m, Random r) {
                return HEALTHY.rewards(u, m, r);
            }

            public double entropy(int u, int n) {
                return u < 3 ? 6.0 : 1.5;
            }
        }));
        assertEquals(1, collapse.warnings().size(), collapse.warnings().toString());
        assertTrue(collapse.warnings().get(0).contains("entropy collapsed early") && collapse.warnings().get(0)
                .contains("by update 4 of 30"), collapse.warnings().get(0));
        Audit hacking = Audit.of(write(dir.resolve("hacking"), 30, (u, m, r) -> components(
                0.60 - 0.01 * u + 0.02 * r.nextGaussian(), 0.85 + 0.03 * r.nextGaussian(),
                0.20 + 0.015 * u + 0.02 * r.nextGaussian(), 1.0)));
        assertEquals(1, hacking.warnings().size(), hacking.warnings().toString());
        String h = hacking.warnings().get(0);
        assertTrue(h.contains("'identity' rose") && h.contains("'alignment' fell") && h.contains("reward hacking"), h);
        Audit alike = Audit.of(write(dir.resolve("alike"), 10, HEALTHY).resolve("grpo-log.jsonl"));
        assertTrue(alike.meanOverlap() < 0.2);
        assertEquals(0, Audit.meanJaccard(List.of(new int[] {1, 2}, new int[] {3, 4})));
        assertEquals(1, Audit.meanJaccard(List.of(new int[] {1, 2}, new int[] {1, 2})));
        assertEquals(1 / 3.0, Audit.meanJaccard(List.of(new int[] {1, 2}, new int[] {2, 3})), 1e-12);
    }

    /** Logs written before the run row and the members' chosen tokens existed still read; a live run's cut line too. */
    @Test
    void oldAndLiveLogsReadAndBadLinesAreNamed(@TempDir Path dir) throws Exception {
        Path file = write(dir, 12, (u, m, r) -> {
            Map<String, Double> c = HEALTHY.rewards(u, m, r);
            c.put("presence", 1.0); // constant, but a diagnostic: not in the total
            return c;
        }).resolve("grpo-log.jsonl");
        ObjectMapper json = new ObjectMapper();
        StringBuilder old = new StringBuilder();
        for (String line : Files.readAllLines(file)) {
            ObjectNode n = (ObjectNode) json.readTree(line);
            if (n.path("kind").asText().equals("run")) {
                continue;
            }
            n.remove("chosen");
            old.append(json.writeValueAsString(n)).append('\n');
        }
        Files.writeString(file, old + "{\"kind\":\"scalars\",\"step\":13,\"rew");
        Audit a = Audit.of(dir);
        assertEquals(12, a.updates().size());
        assertEquals(List.of(), a.warnings());
        assertEquals(List.of("presence"), a.diagnostics());
        assertTrue(Double.isNaN(a.meanOverlap()));
        assertTrue(a.summary().contains("not in this log") && a.summary().contains("cut short"), a.summary());
        Path md = a.write(dir.resolve("report"));
        assertTrue(Files.readString(md).contains("# GRPO reward audit"));
        for (String png : new String[] {"audit-rewards.png", "audit-spread.png", "audit-entropy.png"}) {
            assertTrue(Files.size(dir.resolve("report").resolve(png)) > 1000, png);
        }
        Files.writeString(file, old.toString().replaceFirst("\n", "\nnot json\n"));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Audit.of(dir));
        assertTrue(bad.getMessage().contains("line 2 is not JSON"), bad.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> Audit.of(dir.resolve("nothing")));
        assertTrue(none.getMessage().contains("grpo-log.jsonl") && none.getMessage().contains("--out"),
                none.getMessage());
    }

    /** A real (small) GRPO run whose reward has a broken, constant component: the audit names it; chosen tokens logged. */
    @Test
    void aRealRunWithABrokenComponentIsFlagged(@TempDir Path dir) {
        org.inflvg.TestModels.saveRandom(dir.resolve("model"));
        int tpf = org.inflvg.TestModels.SMALL.tokensPerFrame();
        RewardFunction broken = new RewardFunction() {
            @Override
            public List<Score> score(Group group) {
                List<Score> out = new ArrayList<>();
                for (org.inflvg.select.Selection s : group.selections()) {
                    int[] per = s.keptPerFrame();
                    double share = per[per.length - 1] / (double) s.size();
                    Map<String, Double> c = new LinkedHashMap<>();
                    c.put("signal", share);
                    c.put("broken", 0.0); // e.g. a face detector that never finds a face
                    out.add(new Score(c, share));
                }
                return out;
            }

            @Override
            public Map<String, Double> weights() {
                return Map.of("signal", 1.0, "broken", 1.0);
            }
        };
        Path log = dir.resolve("run").resolve("grpo-log.jsonl");
        try (org.inflvg.InfLVG lvg = org.inflvg.InfLVG.load(dir.resolve("model"));
             ai.djl.ndarray.NDManager pm = ai.djl.ndarray.NDManager.newBaseManager();
             org.inflvg.Story story = lvg.story("A cat jumps on the beach | A cat spins in space")) {
            story.next();
            var policy = new org.inflvg.policy.ContextPolicy(
                    org.inflvg.policy.PolicyConfig.forModel(org.inflvg.TestModels.SMALL).withBudget(tpf), pm, 3);
            GrpoConfig cfg = GrpoConfig.DEFAULT.withGroupSize(6).withRolloutChunks(1).withLearningRate(1e-2);
            PolicyTraining.logRun(log, "test", broken, cfg, 0);
            try (GrpoTrainer t = new GrpoTrainer(lvg.model(), policy, broken, cfg)) {
                for (int i = 0; i < 6; i++) {
                    PolicyTraining.log(log, t.step(story), 0);
                }
            }
        }
        Audit a = Audit.of(dir.resolve("run"));
        System.out.println(a.summary());
        assertEquals(List.of("signal", "broken"), a.components().stream().sorted(java.util.Comparator.reverseOrder())
                .toList());
        assertTrue(a.warnings().stream().anyMatch(w -> w.contains("'broken' is constant")), a.warnings().toString());
        assertTrue(a.warnings().stream().noneMatch(w -> w.contains("'signal'")), a.warnings().toString());
        assertTrue(a.meanOverlap() > 0 && a.meanOverlap() < 1, "overlap of real draws: " + a.meanOverlap());
    }
}
