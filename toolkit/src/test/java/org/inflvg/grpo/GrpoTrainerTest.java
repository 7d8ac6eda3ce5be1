package org.inflvg.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.inflvg.InfLVG;
import org.inflvg.TestModels;
import org.inflvg.Story;
import org.inflvg.model.ModelConfig;
import org.inflvg.model.ModelFiles;
import org.inflvg.model.TinyDiT;
import org.inflvg.policy.ContextPolicy;
import org.inflvg.policy.PolicyConfig;
import org.inflvg.policy.PolicySelector;
import org.inflvg.select.PlackettLuce;
import org.inflvg.select.Selection;
import org.inflvg.select.SelectionRequest;
import org.inflvg.select.Selectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GrpoTrainerTest {

    static final ModelConfig CFG = TestModels.SMALL;
    @TempDir
    static Path dir;

    @BeforeAll
    static void randomModel() {
        TestModels.saveRandom(dir);
    }

    @Test
    void logPiWithGradientsEqualsTheReference() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] logits = {0.5f, -1f, 2f, 0.1f, 1.3f};
            int[][] draws = {{2, 4, 0}, {1, 3, 2}};
            float[] lp = GrpoTrainer.logPi(m, m.create(logits), draws).toFloatArray();
            for (int g = 0; g < draws.length; g++) {
                assertEquals(PlackettLuce.logProb(logits, draws[g]), lp[g], 1e-5);
            }
        }
    }

    /** d log pi / d logits from autograd equals central differences of the double-precision reference, K < M and K = M. */
    @Test
    void logPiGradientMatchesFiniteDifferences() {
        float[] logits = {0.5f, -1f, 2f, 0.1f, 1.3f};
        int[][][] cases = {{{2, 4, 0}}, {{1, 3, 2, 0, 4}}};
        for (int[][] draws : cases) {
            try (NDManager m = NDManager.newBaseManager();
                 var gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray x = m.create(logits);
                x.setRequiresGradient(true);
                NDArray lp = GrpoTrainer.logPi(m, x, draws);
                assertEquals(PlackettLuce.logProb(logits, draws[0]), lp.getFloat(0), 1e-5);
                gc.backward(lp.sum());
                float[] grad = x.getGradient().toFloatArray();
                for (int j = 0; j < logits.length; j++) {
                    float[] up = logits.clone(), down = logits.clone();
                    up[j] += 1e-3f;
                    down[j] -= 1e-3f;
                    double fd = (PlackettLuce.logProb(up, draws[0]) - PlackettLuce.logProb(down, draws[0]))
                            / (up[j] - down[j]);
                    assertEquals(fd, grad[j], 1e-3, "d log pi / d x_" + j + " with K = " + draws[0].length);
                }
            }
        }
    }

    /** The loss's log pi (float32, with gradients) on a near-deterministic policy: it must match the exact value. */
    @Test
    void logPiStaysExactOnANearDeterministicPolicy() {
        Random r = new Random(3);
        float[] logits = org.inflvg.select.PlackettLuceTest.peakedLogits(2560, r);
        int[][] draws = new int[8][];
        for (int g = 0; g < draws.length; g++) {
            draws[g] = PlackettLuce.sample(logits, 128, r);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            float[] lp = GrpoTrainer.logPi(m, m.create(logits), draws).toFloatArray();
            for (int g = 0; g < draws.length; g++) {
                double ref = org.inflvg.select.PlackettLuceTest.logSumExpReference(logits, draws[g]);
                // the PPO ratio is exp(difference): 1e-3 in log pi is a ratio within 0.1 % of the truth
                assertEquals(ref, lp[g], 1e-3, "member " + g);
            }
        }
    }

    /**
     * The GRPO loss's gradient (policy network, exact Plackett-Luce log pi, PPO ratio, both KL terms) is the same when a
     * garbage collection runs between the forward and the backward pass. Before org.inflvg.model.Scalars, the policy's
     * attention scale lived in a freed Java buffer: 1 update in about 300 got gradients of 1e19, infinite or zero.
     */
    @Test
    void lossGradientSurvivesACollectionBeforeBackward() {
        int G = 4, K = 24, M = 200;
        Random r = new Random(5);
        try (InfLVG lvg = InfLVG.load(dir); NDManager pm = NDManager.newBaseManager()) {
            PolicyConfig pc = PolicyConfig.forModel(CFG).withBudget(K);
            ContextPolicy policy = new ContextPolicy(pc, pm, 3);
            float[] head = new float[pc.width()];
            for (int i = 0; i < head.length; i++) {
                head[i] = (float) r.nextGaussian();
            }
            policy.weights().get("mlp2.w").set(java.nio.FloatBuffer.wrap(head)); // a zero head passes no gradient back
            GrpoConfig cfg = new GrpoConfig(G, 1, 1e-3, 10, 1, 0.2, 0.1, 0, 1, 0.1);
            try (GrpoTrainer t = new GrpoTrainer(lvg.model(), policy, lastFrameReward(), cfg)) {
                float[] keys = new float[M * CFG.dim()], text = new float[CFG.textLength() * CFG.dim()];
                for (int i = 0; i < keys.length; i++) {
                    keys[i] = (float) r.nextGaussian();
                }
                for (int i = 0; i < text.length; i++) {
                    text[i] = (float) r.nextGaussian();
                }
                int[][] draws = new int[G][];
                double[] old = new double[G], ref = new double[G], adv = {1.2, -0.4, 0.3, -1.1};
                float[] now;
                try (NDManager m = pm.newSubManager(); var ng = new org.inflvg.model.NoGrad()) {
                    NDArray logits = policy.logits(m.create(keys, new ai.djl.ndarray.types.Shape(M, CFG.dim())),
                            m.create(text, new ai.djl.ndarray.types.Shape(CFG.textLength(), CFG.dim())));
                    for (int g = 0; g < G; g++) {
                        draws[g] = PlackettLuce.sample(logits.toFloatArray(), K, r);
                    }
                    now = GrpoTrainer.logPi(m, logits, draws).toFloatArray();
                }
                for (int g = 0; g < G; g++) { // off the current log pi: ratios away from 1, both KL terms non-zero
                    old[g] = now[g] + 0.1 * (g - 1.5);
                    ref[g] = now[g] - 0.3 + 0.05 * g;
                }
                double change = org.inflvg.GcPoison.gradientChange(policy.weights(), pm, m -> {
                    NDArray[] in = {m.create(keys, new ai.djl.ndarray.types.Shape(M, CFG.dim())),
                        m.create(text, new ai.djl.ndarray.types.Shape(CFG.textLength(), CFG.dim()))};
                    return t.lossOf(m, in, draws, old, ref, adv, new double[3]);
                });
                assertEquals(0.0, change, 1e-6, "gradient after a collection between forward and backward");
            }
        }
    }

    /** A reward that pays for keeping tokens of the last history frame: GRPO must move the policy's top-K there. */
    @Test
    void grpoLearnsWhatTheRewardPaysFor() {
        int tpf = CFG.tokensPerFrame();
        RewardFunction frameZero = lastFrameReward();
        try (InfLVG lvg = InfLVG.load(dir); NDManager pm = NDManager.newBaseManager();
             Story story = lvg.story("A cat jumps on the beach | A cat spins in space")) {
            story.next();
            PolicyConfig pc = PolicyConfig.forModel(CFG).withBudget(tpf);
            ContextPolicy policy = new ContextPolicy(pc, pm, 3);
            double before = topKShareOfLastFrame(lvg, story, policy);
            try (GrpoTrainer t = new GrpoTrainer(lvg.model(), policy, frameZero,
                    GrpoConfig.DEFAULT.withGroupSize(8).withRolloutChunks(1).withLearningRate(1e-2))) {
                GrpoStep first = null, last = null;
                for (int i = 0; i < 25; i++) {
                    last = t.step(story);
                    if (first == null) {
                        first = last;
                    }
                }
                assertEquals(8, last.members().size());
                assertEquals(1.0, last.samplerRatio(), Audit.RATIO_TOLERANCE, "sampler and log pi must agree");
                assertTrue(last.meanReward() > first.meanReward(), "mean reward should rise: " + first.meanReward()
                        + " -> " + last.meanReward());
            }
            double after = topKShareOfLastFrame(lvg, story, policy);
            assertTrue(after > before + 0.3, "top-K share of the last frame should rise: " + before + " -> " + after);
        }
    }

    /** Accumulation: no optimiser step until the given number of groups; the reference KL adds to the loss once the policy moved. */
    @Test
    void accumulationAndReferenceKl() {
        int tpf = CFG.tokensPerFrame();
        RewardFunction lastFrame = lastFrameReward();
        try (InfLVG lvg = InfLVG.load(dir); NDManager pm = NDManager.newBaseManager();
             Story story = lvg.story("A cat jumps on the beach | A cat spins in space")) {
            story.next();
            PolicyConfig pc = PolicyConfig.forModel(CFG).withBudget(tpf);
            GrpoConfig base = GrpoConfig.DEFAULT.withGroupSize(8).withRolloutChunks(1).withLearningRate(1e-2);
            ContextPolicy acc = new ContextPolicy(pc, pm, 3);
            float[] start = acc.weights().all().values().iterator().next().toFloatArray();
            try (GrpoTrainer t = new GrpoTrainer(lvg.model(), acc, lastFrame, base.withAccumulation(3))) {
                t.step(story);
                t.step(story);
                assertEquals(0, t.optimiserSteps(), "two groups of three: no step yet");
                org.junit.jupiter.api.Assertions.assertArrayEquals(start,
                        acc.weights().all().values().iterator().next().toFloatArray());
                t.step(story);
                assertEquals(1, t.optimiserSteps());
            }
            // the reference is the policy as it was when the trainer was made: move the policy away, and the same
            // group's loss must grow by the (non-negative) KL term
            double[] loss = new double[2];
            for (int c = 0; c < 2; c++) {
                ContextPolicy p = new ContextPolicy(pc, pm, 3);
                try (GrpoTrainer t = new GrpoTrainer(lvg.model(), p, lastFrame,
                        base.withLearningRate(1e-9).withReferenceKl(c == 0 ? 0 : 1.0))) {
                    java.util.Random r = new java.util.Random(5);
                    try (var ng = new org.inflvg.model.NoGrad()) {
                        for (var a : p.weights().all().values()) {
                            float[] v = a.toFloatArray();
                            for (int q = 0; q < v.length; q++) {
                                v[q] += (float) (r.nextGaussian() * 0.3);
                            }
                            a.set(v);
                        }
                    }
                    loss[c] = t.step(story).loss();
                }
                p.close();
            }
            assertTrue(loss[1] > loss[0] + 1e-6, "reference KL should add to the loss: " + loss[0] + " vs " + loss[1]);
            assertThrows(IllegalArgumentException.class, () -> base.withEpochs(2).withAccumulation(2));
        }
    }

    /** Pays each member the share of its kept tokens that lie on the last history frame. */
    static RewardFunction lastFrameReward() {
        return group -> {
            List<RewardFunction.Score> out = new ArrayList<>();
            for (Selection s : group.selections()) {
                int[] per = s.keptPerFrame();
                double share = per[per.length - 1] / (double) s.size();
                out.add(new RewardFunction.Score(Map.of("lastFrame", share), share));
            }
            return out;
        };
    }

    private static double topKShareOfLastFrame(InfLVG lvg, Story story, ContextPolicy policy) {
        var sel = new org.inflvg.policy.PolicySelector(policy, policy.config().budget(), false);
        var req = new org.inflvg.select.SelectionRequest(lvg.model(), story.cache(), story.cache().size(),
                "A cat spins in space", "A cat", 1, 0);
        Selection s = sel.select(req);
        int[] per = s.keptPerFrame();
        return per[per.length - 1] / (double) s.size();
    }

    // the optional text prior: an untrained policy with it selects as text:K, and GRPO trains its weight

    @Test
    void anUntrainedPolicyWithThePriorKeepsWhatTextKKeeps(@TempDir Path saved) {
        int k = 2 * TestModels.SMALL.tokensPerFrame();
        try (InfLVG lvg = InfLVG.load(dir); NDManager pm = NDManager.newBaseManager();
             Story story = lvg.story("A cat jumps on the beach | A cat spins in space")) {
            story.next();
            var req = switchRequest(lvg, story);
            int[] text = sorted(Selectors.textSimilarity(k).select(req).kept());
            PolicyConfig pc = PolicyConfig.forModel(TestModels.SMALL).withBudget(k);
            ContextPolicy prior = new ContextPolicy(pc.withTextPrior(4), pm, 3);
            ContextPolicy plain = new ContextPolicy(pc, pm, 3);
            assertArrayEquals(text, sorted(new PolicySelector(prior, k, false).select(req).kept()),
                    "with the prior and a zero last layer the policy's top-K is text:K's");
            assertNotEquals(Arrays.toString(text), Arrays.toString(sorted(new PolicySelector(plain, k, false)
                    .select(req).kept())), "without it an untrained policy is uniform, not text:K");
            int[][] ca = plain.candidatesAndAnchors(req);
            int[] firstK = java.util.stream.IntStream.concat(Arrays.stream(ca[1]), Arrays.stream(ca[0], 0, k)).sorted()
                    .toArray();
            assertArrayEquals(firstK, sorted(new PolicySelector(plain, k, false).select(req).kept()),
                    "untrained, all logits are 0: the top-K is the first K candidates by index (the oldest tokens)");
            prior.save(saved);
            try (ContextPolicy back = ContextPolicy.load(saved, pm)) {
                assertEquals(4, back.config().textPrior());
                assertArrayEquals(text, sorted(new PolicySelector(back, k, false).select(req).kept()));
            }
        }
    }

    @Test
    void grpoMovesThePriorWeight() {
        int tpf = TestModels.SMALL.tokensPerFrame();
        try (InfLVG lvg = InfLVG.load(dir); NDManager pm = NDManager.newBaseManager();
             Story story = lvg.story("A cat jumps on the beach | A cat spins in space")) {
            story.next();
            ContextPolicy policy = new ContextPolicy(PolicyConfig.forModel(TestModels.SMALL).withBudget(tpf)
                    .withTextPrior(4), pm, 3);
            float before = policy.weights().get("prior.a").toFloatArray()[0];
            RewardFunction lastFrame = lastFrameReward();
            try (GrpoTrainer t = new GrpoTrainer(lvg.model(), policy, lastFrame,
                    GrpoConfig.DEFAULT.withGroupSize(8).withRolloutChunks(1).withLearningRate(1e-2))) {
                for (int i = 0; i < 3; i++) {
                    t.step(story);
                }
            }
            float after = policy.weights().get("prior.a").toFloatArray()[0];
            assertEquals(4f, before);
            assertNotEquals(before, after, "the prior's weight must receive gradients");
        }
    }

    /**
     * --centre-tokens: without it a candidate's logit depends on that candidate alone (and the subject), with it on the
     * candidates' mean too, so scoring a subset changes it; save/load keeps it, an older policy.json reads as off.
     */
    @Test
    void centringTokensMakesEachLogitRelativeToTheCandidates(@TempDir Path saved) throws Exception {
        withPolicyPair(2 * TestModels.SMALL.tokensPerFrame(), pc -> pc.withCentreTokens(true), (req, pm, pc, plain,
                centred) -> {
            int[] cand = plain.candidatesAndAnchors(req)[0];
            int[] half = Arrays.copyOf(cand, cand.length / 2);
            try (NDManager m = pm.newSubManager()) {
                float[] plainAll = plain.logits(plain.inputs(req, cand, m)).toFloatArray();
                float[] plainHalf = plain.logits(plain.inputs(req, half, m)).toFloatArray();
                float[] centredAll = centred.logits(centred.inputs(req, cand, m)).toFloatArray();
                float[] centredHalf = centred.logits(centred.inputs(req, half, m)).toFloatArray();
                double plainGap = 0, centredGap = 0, fromPlain = 0;
                for (int i = 0; i < half.length; i++) {
                    plainGap = Math.max(plainGap, Math.abs(plainAll[i] - plainHalf[i]));
                    centredGap = Math.max(centredGap, Math.abs(centredAll[i] - centredHalf[i]));
                    fromPlain = Math.max(fromPlain, Math.abs(centredAll[i] - plainAll[i]));
                }
                assertTrue(plainGap < 1e-5, "without centring a logit is the candidate's own: " + plainGap);
                assertTrue(centredGap > 1e-3, "centred, a logit depends on the other candidates: " + centredGap);
                assertTrue(fromPlain > 1e-3, "centring changes the logits: " + fromPlain);
            }
            centred.save(saved);
            try (ContextPolicy back = ContextPolicy.load(saved, pm)) {
                assertTrue(back.config().centreTokens());
            }
            assertFalse(savedConfigWithout(saved, "centreTokens").centreTokens(), "an older policy.json: no centring");
        });
    }

    // the logit scale: the same top-K, a sharper sampling distribution, kept by save/load, 1 when absent

    @Test
    void theLogitScaleMultipliesTheLogitsAndKeepsTheTopK(@TempDir Path saved) throws Exception {
        int k = 2 * TestModels.SMALL.tokensPerFrame();
        withPolicyPair(k, pc -> pc.withLogitScale(10), (req, pm, pc, plain, scaled) -> {
            int[] cand = plain.candidatesAndAnchors(req)[0];
            try (NDManager m = pm.newSubManager()) {
                float[] a = plain.logits(plain.inputs(req, cand, m)).toFloatArray();
                float[] b = scaled.logits(scaled.inputs(req, cand, m)).toFloatArray();
                double spread = 0;
                for (int i = 0; i < a.length; i++) {
                    assertEquals(10 * a[i], b[i], 1e-4 * Math.max(1, Math.abs(b[i])), "token " + i);
                    spread = Math.max(spread, Math.abs(a[i] - a[0]));
                }
                assertTrue(spread > 0.1 && PlackettLuce.entropy(a) > 0.5 * Math.log(a.length),
                        "the test needs logits that differ and a spread-out policy at scale 1: " + spread);
                assertTrue(PlackettLuce.entropy(b) < PlackettLuce.entropy(a) - 0.1,
                        "a larger scale must sharpen the distribution");
            }
            assertArrayEquals(sorted(new PolicySelector(plain, k, false).select(req).kept()),
                    sorted(new PolicySelector(scaled, k, false).select(req).kept()), "the top-K does not depend on the scale");
            scaled.save(saved);
            try (ContextPolicy back = ContextPolicy.load(saved, pm)) {
                assertEquals(10, back.config().logitScale());
            }
            // a policy.json written before the scale existed (the shipped data/policy) reads as scale 1
            assertEquals(1, savedConfigWithout(saved, "logitScale").logitScale());
            assertThrows(IllegalArgumentException.class, () -> pc.withLogitScale(-1));
            assertThrows(IllegalArgumentException.class, () -> pc.withLogitScale(0), "0 is no scale, not 'absent'");
            assertThrows(IllegalArgumentException.class, () -> pc.withLogitScale(Double.NaN));
        });
    }

    /** With AdamW, a scale of 10 moves the sampling distribution away from uniform much faster than scale 1. */
    @Test
    void aLargerLogitScaleSharpensTheSamplingFaster() {
        int tpf = CFG.tokensPerFrame();
        try (InfLVG lvg = InfLVG.load(dir); NDManager pm = NDManager.newBaseManager();
             Story story = lvg.story("A cat jumps on the beach | A cat spins in space")) {
            story.next();
            double[] deficit = new double[2];
            double[] scales = {1, 10};
            for (int v = 0; v < 2; v++) {
                ContextPolicy policy = new ContextPolicy(PolicyConfig.forModel(CFG).withBudget(tpf)
                        .withLogitScale(scales[v]), pm, 3);
                int m = policy.candidatesAndAnchors(switchRequest(lvg, story))[0].length;
                try (GrpoTrainer t = new GrpoTrainer(lvg.model(), policy, lastFrameReward(),
                        GrpoConfig.DEFAULT.withGroupSize(8).withRolloutChunks(1).withLearningRate(1e-3))) {
                    GrpoStep last = null;
                    for (int i = 0; i < 6; i++) {
                        last = t.step(story);
                    }
                    deficit[v] = Math.log(m) - last.entropy();   // 0 for a uniform draw
                }
            }
            assertTrue(deficit[1] > 5 * deficit[0] && deficit[1] > 0.01, "entropy below uniform after 6 updates: scale 1 "
                    + deficit[0] + ", scale 10 " + deficit[1]);
        }
    }

    /** The request at the switch into "A cat spins in space" after the story's first scene. */
    /** What a test does with a policy and a variant of its configuration at a scene switch. */
    private interface PairBody {
        void run(SelectionRequest req, NDManager pm, PolicyConfig pc, ContextPolicy plain, ContextPolicy variant)
                throws Exception;
    }

    /**
     * At the first switch of a two-scene story: a fresh policy with budget {@code k} and one with a variant of its
     * configuration, the same seed and the same small last layer ({@link #sameSmallHead}).
     */
    private static void withPolicyPair(int k, java.util.function.UnaryOperator<PolicyConfig> variant, PairBody body)
            throws Exception {
        try (InfLVG lvg = InfLVG.load(dir); NDManager pm = NDManager.newBaseManager();
             Story story = lvg.story("A cat jumps on the beach | A cat spins in space")) {
            story.next();
            PolicyConfig pc = PolicyConfig.forModel(TestModels.SMALL).withBudget(k);
            ContextPolicy plain = new ContextPolicy(pc, pm, 3), other = new ContextPolicy(variant.apply(pc), pm, 3);
            sameSmallHead(plain, other);
            body.run(switchRequest(lvg, story), pm, pc, plain, other);
        }
    }

    /** The configuration of the policy saved in {@code saved}, read as if its policy.json lacked {@code field}. */
    private static PolicyConfig savedConfigWithout(Path saved, String field) throws java.io.IOException {
        var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(saved.resolve("policy.json").toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) node.get("config")).remove(field);
        return PolicyConfig.fromJson(node.get("config"));
    }

    /**
     * Gives the policies the same small, seeded last layer instead of the zero one: logits that differ, a policy far
     * from deterministic.
     */
    private static void sameSmallHead(ContextPolicy... policies) {
        Random r = new Random(5);
        float[] head = new float[(int) policies[0].weights().get("mlp2.w").size()];
        for (int i = 0; i < head.length; i++) {
            head[i] = (float) (0.05 * r.nextGaussian());
        }
        for (ContextPolicy p : policies) {
            p.weights().get("mlp2.w").set(head);
        }
    }

    private static SelectionRequest switchRequest(InfLVG lvg, Story story) {
        return new SelectionRequest(lvg.model(), story.cache(), story.cache().size(), "A cat spins in space", "A cat", 1, 0);
    }

    private static int[] sorted(int[] a) {
        int[] b = a.clone();
        Arrays.sort(b);
        return b;
    }
}
