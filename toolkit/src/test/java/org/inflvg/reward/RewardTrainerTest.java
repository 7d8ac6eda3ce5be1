package org.inflvg.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A short reward-model training run improves every model against its untrained start, and resumes by stage. */
class RewardTrainerTest {

    @Test
    void shortTrainingImprovesEveryModel(@TempDir Path dir) {
        JsonNode before;
        try (RewardModels untrained = RewardModels.create(NDManager.newBaseManager(), 0)) {
            before = RewardTrainer.evaluate(untrained, 40, 5, (s, i, n, l) -> { });
        }
        List<Double> idLoss = new ArrayList<>();
        RewardTrainer t = new RewardTrainer(new RewardTrainer.Settings(150, 60, 40, 40, 0), dir);
        JsonNode after;
        try (RewardModels trained = t.train((stage, step, total, loss) -> {
            if (stage.equals("identity")) {
                idLoss.add(loss);
            }
        })) {
            after = RewardTrainer.evaluate(trained, 40, 5, (s, i, n, l) -> { });
        }
        double first = idLoss.subList(0, 20).stream().mapToDouble(d -> d).average().orElseThrow();
        double last = idLoss.subList(130, 150).stream().mapToDouble(d -> d).average().orElseThrow();
        assertTrue(last < first - 0.3, "contrastive loss " + first + " -> " + last);
        assertTrue(after.get("identityAucClip").asDouble() > before.get("identityAucClip").asDouble() + 0.1,
                "identity AUC " + before.get("identityAucClip") + " -> " + after.get("identityAucClip"));
        assertTrue(after.get("backgroundAccuracy").asDouble() > 0.6,
                "background accuracy " + before.get("backgroundAccuracy") + " -> " + after.get("backgroundAccuracy"));
        assertEquals(0.5, before.get("artifactAuc").asDouble(), 1e-9, "untrained artifact score is constant");
        assertTrue(after.get("artifactAuc").asDouble() > 0.9, "artifact AUC " + after.get("artifactAuc"));
        assertTrue(Files.isRegularFile(dir.resolve(RewardModels.CONFIG)));
    }

    @Test
    void aFinishedRunResumesWithoutTraining(@TempDir Path dir) {
        RewardTrainer.Settings s = new RewardTrainer.Settings(3, 3, 8, 8, 0);
        try (RewardModels m = new RewardTrainer(s, dir).train((a, b, c, d) -> { })) {
            assertTrue(m.figures().get("stagesDone").size() == 3);
        }
        List<String> stages = new ArrayList<>();
        try (RewardModels m = new RewardTrainer(s, dir).train((stage, b, c, d) -> stages.add(stage))) {
            assertTrue(stages.stream().noneMatch(x -> x.equals("identity") || x.equals("alignment") || x.equals("artifact")),
                    "stages re-run: " + stages.stream().distinct().toList());
        }
    }
    /**
     * Both reward-training losses give the same gradient when a garbage collection runs between the forward and the
     * backward pass (their temperature and batch divisions once lived in Java buffers freed before backward).
     */
    @Test
    void lossGradientsSurviveACollectionBeforeBackward(@TempDir Path dir) {
        RewardTrainer t = new RewardTrainer(new RewardTrainer.Settings(1, 1, 8, 8, 0), dir);
        try (NDManager root = NDManager.newBaseManager(); RewardModels models = RewardModels.create(root, 0)) {
            var views = t.identityBatch(new java.util.SplittableRandom(3), 6, org.inflvg.world.Split.TRAIN);
            double identity = org.inflvg.GcPoison.gradientChange(models.identityWeights, root,
                    m -> RewardTrainer.contrastiveLoss(models, m, views));
            double alignment = org.inflvg.GcPoison.gradientChange(models.alignmentWeights, root,
                    m -> t.alignmentLoss(models, m, new java.util.SplittableRandom(4)));
            assertEquals(0.0, identity, 1e-6, "identity encoder's gradient");
            assertEquals(0.0, alignment, 1e-6, "alignment model's gradient");
        }
    }
}
