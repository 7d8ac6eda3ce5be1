package org.inflvg.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Arrays;
import org.inflvg.InfLVG;
import org.inflvg.Story;
import org.inflvg.TestModels;
import org.inflvg.policy.ContextPolicy;
import org.inflvg.policy.PolicyConfig;
import org.inflvg.policy.PolicySelector;
import org.inflvg.select.SelectionRequest;
import org.inflvg.select.Selectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The policy's optional text prior: an untrained policy with it selects as text:K, and GRPO trains its weight. */
class TextPriorTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void randomModel() {
        TestModels.saveRandom(dir);
    }

    @Test
    void anUntrainedPolicyWithThePriorKeepsWhatTextKKeeps(@TempDir Path saved) {
        int k = 2 * TestModels.SMALL.tokensPerFrame();
        try (InfLVG lvg = InfLVG.load(dir); NDManager pm = NDManager.newBaseManager();
             Story story = lvg.story("A cat jumps on the beach | A cat spins in space")) {
            story.next();
            var req = new SelectionRequest(lvg.model(), story.cache(), story.cache().size(), "A cat spins in space",
                    "A cat", 1, 0);
            int[] text = sorted(Selectors.textSimilarity(k).select(req).kept());
            PolicyConfig pc = PolicyConfig.forModel(TestModels.SMALL).withBudget(k);
            ContextPolicy prior = new ContextPolicy(pc.withTextPrior(4), pm, 3);
            ContextPolicy plain = new ContextPolicy(pc, pm, 3);
            assertArrayEquals(text, sorted(new PolicySelector(prior, k, false).select(req).kept()),
                    "with the prior and a zero last layer the policy's top-K is text:K's");
            assertNotEquals(Arrays.toString(text), Arrays.toString(sorted(new PolicySelector(plain, k, false)
                    .select(req).kept())), "without it an untrained policy is uniform, not text:K");
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
            RewardFunction lastFrame = GrpoTrainerTest.lastFrameReward();
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

    private static int[] sorted(int[] a) {
        int[] b = a.clone();
        Arrays.sort(b);
        return b;
    }
}
