package org.inflvg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.inflvg.model.ModelConfig;
import org.inflvg.select.Selectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

/** Context provenance on a small random model: positions, ranks, ground truth for rendered frames, errors. */
class ProvenanceTest {

    static final ModelConfig CFG = TestModels.SMALL;

    @TempDir
    static Path dir;

    @BeforeAll
    static void saveRandomModel() {
        TestModels.saveRandom(dir);
    }

    @Test
    void keptTokensWithPositionScoreRankAndSubject() {
        try (InfLVG lvg = InfLVG.load(dir);
             Story story = lvg.story(StoryTest.PROMPTS).seed(4).selector(Selectors.attentionScore(20))) {
            story.all();
            Provenance p = story.provenance(2);
            System.out.println(p);
            Table t = p.table();
            System.out.println(t.first(5));
            assertEquals(20, t.rowCount());
            assertEquals(Arrays.asList("token", "scene", "frame", "row", "col", "anchor", "score", "rank", "attention",
                    "attention_steps", "full_attention", "subject", "subject_share", "mask"), t.columnNames());
            // attention of the scene's last chunk: a share of one softmax over kept history + the scene's own tokens
            double onHistory = t.doubleColumn("attention").sum();
            assertEquals(onHistory, p.attentionToHistory(), 1e-9);
            assertTrue(onHistory > 0 && onHistory < 1, "attention on the kept history: " + onHistory);
            assertTrue(p.hardlyAttended().rowCount() <= t.rowCount());
            // the attention selector keeps its top 20 scores: their ranks are exactly 1..20
            int[] ranks = t.intColumn("rank").asIntArray();
            Arrays.sort(ranks);
            assertEquals(Arrays.toString(java.util.stream.IntStream.rangeClosed(1, 20).toArray()), Arrays.toString(ranks));
            for (tech.tablesaw.api.Row r : t) {
                int token = r.getInt("token");
                assertEquals(story.cache().frameOf(token), r.getInt("frame"));
                assertEquals(story.cache().rowOf(token), r.getInt("row"));
                assertEquals(story.cache().colOf(token), r.getInt("col"));
                assertTrue(r.getInt("scene") < 2);
            }
            assertEquals(20, Arrays.stream(p.keptPerScene()).sum());
            // every history token: the rendered first chunk has the ground-truth mask, the subject covers part of it
            Table all = p.allTokens();
            int history = 2 * CFG.sceneFrames() * CFG.tokensPerFrame();
            assertEquals(history, all.rowCount());
            Table truth = all.where(all.stringColumn("mask").isEqualTo("truth"));
            assertEquals(CFG.chunkFrames() * CFG.tokensPerFrame(), truth.rowCount());
            int onSubject = truth.where(truth.booleanColumn("subject").isTrue()).rowCount();
            assertTrue(onSubject > 0 && onSubject < truth.rowCount(), "rendered subject tokens: " + onSubject);
            assertTrue(p.historyOnSubject() > 0 && p.historyOnSubject() < 1);
        }
    }

    /** Over its whole context (kept history + its own scene), a chunk's attention sums to 1; for any scene of the story. */
    /** The probe's share for one forward pass equals softmax(q · [kept; chunk]ᵀ) from the pass's own queries and keys. */
    @Test
    void theProbeRecordsTheSoftmaxTheModelUsed() {
        try (InfLVG lvg = InfLVG.load(dir); Story story = lvg.story(StoryTest.PROMPTS).seed(4);
             ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            story.next();
            var model = lvg.model();
            var cache = story.cache();
            int[] keep = {0, 3, 17, 40, cache.size() - 1};
            org.inflvg.model.AttentionProbe probe = new org.inflvg.model.AttentionProbe();
            cache.probe(probe);
            var ctx = cache.gather(keep, m);
            assertTrue(ctx.recordsAttention());
            var x = m.randomNormal(new ai.djl.ndarray.types.Shape(1, CFG.tokensPerChunk(), CFG.patchDim()));
            var text = model.text(m, model.tokenize(StoryTest.PROMPTS.split("\\|")[1].trim()), 1);
            java.util.List<ai.djl.ndarray.NDArray[]> kv = new java.util.ArrayList<>();
            model.velocity(m, x, new float[] {0.5f}, CFG.sceneFrames(), text, ctx, kv);
            assertEquals(CFG.depth(), probe.calls(), "one call per layer");
            double[] expected = new double[keep.length];
            for (int l = 0; l < CFG.depth(); l++) {
                var q = kv.get(l)[2];
                var keys = ctx.keys(l).concat(kv.get(l)[0], 2);
                float[] share = q.matMul(keys.transpose(0, 1, 3, 2)).softmax(-1)
                        .get(new ai.djl.ndarray.index.NDIndex(":, :, :, 0:" + keep.length)).reshape(-1, keep.length)
                        .mean(new int[] {0}).toFloatArray();
                for (int i = 0; i < keep.length; i++) {
                    expected[i] += share[i] / CFG.depth();
                }
            }
            for (int i = 0; i < keep.length; i++) {
                assertEquals(expected[i], probe.meanShare(keep[i]), 1e-6, "token " + keep[i]);
                assertTrue(expected[i] > 0 && expected[i] < 1);
            }
            assertEquals(0, probe.meanShare(1), "a token outside the context received nothing");
            cache.probe(null);
            assertTrue(!cache.gather(keep, m).recordsAttention(), "no probe, no recording");
        }
    }

    /** Recording changes no pixel; every kept token gets its share over all steps, dropped ones NaN. */
    @Test
    void attentionOverEveryStepIsRecordedOnlyWhenAsked() {
        String plain;
        try (InfLVG lvg = InfLVG.load(dir); Story story = lvg.story(StoryTest.PROMPTS).seed(4).selector(Selectors.window(1))) {
            story.all();
            plain = story.video().sha256();
            assertEquals(null, story.attentionPaid(1));
            assertTrue(story.provenance(1).table().doubleColumn("attention_steps").isMissing().size() > 0);
        }
        try (InfLVG lvg = InfLVG.load(dir); Story story = lvg.story(StoryTest.PROMPTS).seed(4).selector(Selectors.window(1))
                .recordAttention(true)) {
            story.all();
            assertEquals(plain, story.video().sha256(), "recording attention must not change a pixel");
            for (int t = 1; t <= 2; t++) {
                double[] paid = story.attentionPaid(t);
                var sel = story.scenes().get(t).selection();
                assertEquals(sel.candidates(), paid.length);
                double sum = 0;
                for (int i = 0; i < paid.length; i++) {
                    assertEquals(sel.keeps(i), !Double.isNaN(paid[i]), "scene " + t + " token " + i);
                    sum += sel.keeps(i) ? paid[i] : 0;
                }
                assertTrue(sum > 0 && sum < 1, "the kept history's share of attention, scene " + t + ": " + sum);
                Table kept = story.provenance(t).table();
                assertEquals(0, kept.doubleColumn("attention_steps").isMissing().size());
            }
        }
    }

    @Test
    void attentionOfAChunkIsADistributionOverItsContext() {
        try (InfLVG lvg = InfLVG.load(dir); Story story = lvg.story(StoryTest.PROMPTS).seed(4).selector(Selectors.window(2));
             ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            story.all();
            var cache = story.cache();
            for (int t = 1; t <= 2; t++) {
                int end = cache.firstTokenOfScene(t + 1), start = cache.firstTokenOfScene(t);
                int[] context = java.util.stream.IntStream.concat(
                        Arrays.stream(story.scenes().get(t).selection().keptTokens()),
                        java.util.stream.IntStream.range(start, end)).toArray();
                float[] a = cache.attentionOfChunkEndingAt(end, context, m);
                double sum = 0;
                for (float x : a) {
                    sum += x;
                }
                assertEquals(1.0, sum, 1e-4, "scene " + t);
                assertEquals(story.provenance(t).attentionToHistory(), sum - sumFrom(a, story.scenes().get(t).selection()
                        .size()), 1e-5);
            }
        }
    }

    /** Dropped tokens ranked by what full context attended: all dropped, in order, summing with the kept to 1. */
    @Test
    void droppedTokensThatFullContextAttended() {
        try (InfLVG lvg = InfLVG.load(dir); Story story = lvg.story(StoryTest.PROMPTS).seed(4).selector(Selectors.window(1))) {
            story.all();
            var pv = story.provenance(1);
            var all = pv.allTokens();
            double total = all.doubleColumn("full_attention").sum();
            assertEquals(1.0, total, 1e-4, "full-context attention is a distribution over the history");
            var dropped = pv.droppedButAttended(5);
            assertEquals(5, dropped.rowCount());
            double[] a = dropped.doubleColumn("full_attention").asDoubleArray();
            for (int i = 1; i < a.length; i++) {
                assertTrue(a[i] <= a[i - 1], "sorted by full-context attention");
            }
            for (int tok : dropped.intColumn("token").asIntArray()) {
                assertTrue(!story.scenes().get(1).selection().keeps(tok), "token " + tok + " was kept");
            }
            // nothing kept is ever listed, and the dropped list never exceeds the dropped tokens
            int droppedCount = all.where(all.booleanColumn("kept").isFalse()).rowCount();
            assertEquals(droppedCount, pv.droppedButAttended(10_000).rowCount());
            int sceneFrames = story.model().config().sceneFrames();
            var img = pv.overlay(dropped, story.video().frames(0, sceneFrames), 2);
            int red = 0;
            for (int y = 0; y < img.getHeight(); y++) {
                for (int x = 0; x < img.getWidth(); x++) {
                    red += (img.getRGB(x, y) & 0xffffff) == 0xff2020 ? 1 : 0;
                }
            }
            assertTrue(red > 0, "the overlay outlines the listed tokens");
        }
    }

    private static double sumFrom(float[] a, int from) {
        double s = 0;
        for (int i = from; i < a.length; i++) {
            s += a[i];
        }
        return s;
    }

    @Test
    void unscoredSelectorsAndErrors() {
        try (InfLVG lvg = InfLVG.load(dir); Story story = lvg.story(StoryTest.PROMPTS).seed(4).selector(Selectors.window(2))) {
            story.next();
            story.next();
            Table t = story.provenance(1).table();
            assertEquals(2 * CFG.tokensPerFrame(), t.rowCount());
            assertTrue(t.doubleColumn("score").isMissing().size() == t.rowCount());
            assertEquals(0, t.intColumn("rank").max());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> story.provenance(0));
            assertTrue(e.getMessage().contains("scene must be in [1, 1]"), e.getMessage());
        }
    }
}
