package org.inflvg.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A very small configuration trained for a few steps: the loss must fall, and a resumed run continues the schedule. */
class TrainingTest {

    static final ModelConfig MICRO = new ModelConfig(16, 4, 2, 2, 32, 1, 2, 1, 8, 16, 2, 1.0);

    @Test
    void lossFallsAndTrainingResumes(@TempDir Path dir) throws Exception {
        BaseTrainer.Settings s = BaseTrainer.Settings.DEFAULT.withSteps(60).withBatch(4).withCheckpointEvery(30)
                .withLr(3e-3, 5);
        List<BaseTrainer.StepLog> logs = new ArrayList<>();
        List<Long> hooked = new ArrayList<>();
        List<String> sheets = new ArrayList<>();
        new BaseTrainer(MICRO, s, dir).onCheckpoint(30, (step, ema) -> {
            hooked.add(step);
            Path png = org.inflvg.TrainingSamples.write(ema, dir, step);
            assertTrue(Files.isRegularFile(png), png.toString());
            sheets.add(org.inflvg.TrainingSamples.sheet(ema).sha256());
            assertEquals(sheets.get(sheets.size() - 1), org.inflvg.TrainingSamples.sheet(ema).sha256(),
                    "a sheet depends on the weights only");
        }).run(logs::add);
        assertEquals(List.of(30L, 60L), hooked, "samples at every 30th step's checkpoint and at the end");
        assertTrue(!sheets.get(0).equals(sheets.get(1)), "the sheets of two steps must differ (the weights did)");
        assertTrue(Files.isRegularFile(dir.resolve("samples/step-000060.png")));
        assertEquals(6, logs.size());
        double first = logs.get(0).loss(), last = logs.get(logs.size() - 1).loss();
        assertTrue(last < 0.8 * first, "loss should fall by 20%: first " + first + " last " + last);
        assertTrue(Files.isRegularFile(dir.resolve("model.bin")));
        assertEquals(0, BaseTrainer.resumeStep(dir.resolve("nowhere")));
        assertEquals(60, BaseTrainer.resumeStep(dir), "the checkpoint's step is where a resumed run's progress starts");
        // resume to 80 steps: only 20 more are run
        List<BaseTrainer.StepLog> more = new ArrayList<>();
        new BaseTrainer(MICRO, s.withSteps(80), dir).run(more::add);
        assertEquals(2, more.size());
        assertEquals(70, more.get(0).step());
        assertTrue(Files.readAllLines(dir.resolve("train-log.jsonl")).size() == 8);
    }

    @Test
    void aContinuationStartsFromTheTrainedWeightsAndSaysSo(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a"), b = dir.resolve("b");
        BaseTrainer.Settings s = BaseTrainer.Settings.DEFAULT.withSteps(40).withBatch(4).withCheckpointEvery(20)
                .withLr(3e-3, 5);
        List<BaseTrainer.StepLog> first = new ArrayList<>();
        new BaseTrainer(MICRO, s, a).run(first::add);
        // the continuation: other clips (seed 1), a fresh schedule of 10 steps from the trained weights
        List<BaseTrainer.StepLog> cont = new ArrayList<>(), fresh = new ArrayList<>();
        BaseTrainer.Settings c = s.withSteps(10).withSeed(1);
        new BaseTrainer(MICRO, c, b).initFrom(a).run(cont::add);
        new BaseTrainer(MICRO, c, dir.resolve("fresh")).run(fresh::add);
        double trained = first.get(first.size() - 1).loss();
        assertTrue(cont.get(0).loss() < 0.8 * fresh.get(0).loss() && cont.get(0).loss() < 1.3 * trained,
                "a continuation starts where the trained model was (its first 10 steps: " + cont.get(0).loss()
                        + "; the source's last 10: " + trained + "), not from random weights (" + fresh.get(0).loss() + ")");
        var init = ModelFiles.read(b.resolve(ModelFiles.CONFIG)).path("provenance").path("initFrom");
        assertEquals(ModelFiles.checksum(a), init.path("sha256").asText(), "the source's checksum is recorded");
        assertEquals(40, init.path("steps").asLong(), "and its steps");
        // a resume keeps the record and runs from the checkpoint, not from the source again
        List<BaseTrainer.StepLog> resumed = new ArrayList<>();
        new BaseTrainer(MICRO, c.withSteps(20), b).initFrom(a).run(resumed::add);
        assertEquals(List.of(20L), resumed.stream().map(BaseTrainer.StepLog::step).toList());
        assertEquals(ModelFiles.checksum(a), ModelFiles.read(b.resolve(ModelFiles.CONFIG)).path("provenance")
                .path("initFrom").path("sha256").asText());
        // a continuation of the continuation keeps the chain
        new BaseTrainer(MICRO, c.withSteps(2), dir.resolve("c")).initFrom(b).run(l -> { });
        var chain = ModelFiles.read(dir.resolve("c").resolve(ModelFiles.CONFIG)).path("provenance").path("initFrom");
        assertEquals(ModelFiles.checksum(b), chain.path("sha256").asText());
        assertEquals(20, chain.path("steps").asLong());
        assertEquals(ModelFiles.checksum(a), chain.path("initFrom").path("sha256").asText());
        // bad sources: the output folder itself, another configuration
        var same = assertThrows(IllegalArgumentException.class, () -> new BaseTrainer(MICRO, c, a).initFrom(a));
        assertTrue(same.getMessage().contains("output folder"), same.getMessage());
        ModelConfig wider = new ModelConfig(16, 4, 2, 2, 64, 1, 2, 1, 8, 16, 2, 1.0);
        var other = assertThrows(IllegalArgumentException.class,
                () -> new BaseTrainer(wider, c, dir.resolve("w")).initFrom(a).run(l -> { }));
        assertTrue(other.getMessage().contains("another configuration")
                && other.getMessage().contains("dim: 32 there, 64 here"), other.getMessage());
    }

    /** The share of flow times drawn near pure noise is what the settings say; the rest are logit-normal. */
    @Test
    void theHighNoiseShareIsHonoured(@TempDir Path dir) {
        var world = new org.inflvg.world.SpriteWorld(new org.inflvg.world.WorldConfig(MICRO.frameSize(), MICRO.sceneFrames(), 7));
        var data = new org.inflvg.world.Dataset(world, org.inflvg.world.Split.TRAIN, 0);
        double[] above = new double[3];
        double[] shares = {0, 0.5, 1};
        for (int k = 0; k < shares.length; k++) {
            var s = BaseTrainer.Settings.DEFAULT.withBatch(4).withHighNoiseShare(shares[k]);
            var trainer = new BaseTrainer(MICRO, s, dir);
            int n = 0, high = 0;
            for (int step = 0; step < 150; step++) {
                for (float t : trainer.batch(data, step).t()) {
                    n++;
                    high += t >= 0.7f ? 1 : 0;
                    assertTrue(t > 0 && t < 1, "flow time " + t);
                }
            }
            above[k] = high / (double) n;
        }
        // logit-normal: P(t >= 0.7) = P(z >= logit 0.7 = 0.847) = 0.199
        assertEquals(0.199, above[0], 0.04, "share 0: logit-normal only");
        assertEquals(0.5 + 0.5 * 0.199, above[1], 0.04, "share 0.5");
        assertEquals(1.0, above[2], 1e-9, "share 1: every flow time in [0.7, 1]");
        assertThrows(IllegalArgumentException.class, () -> BaseTrainer.Settings.DEFAULT.withHighNoiseShare(1.5));
    }
}
