package org.inflvg.select;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.inflvg.InfLVG;
import org.inflvg.TestModels;
import org.inflvg.Story;
import org.inflvg.model.ModelConfig;
import org.inflvg.model.ModelFiles;
import org.inflvg.model.TinyDiT;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelectorsTest {

    static final ModelConfig CFG = TestModels.SMALL;
    @TempDir
    static Path dir;
    static InfLVG lvg;
    static Story story;

    @BeforeAll
    static void twoScenesOfHistory() {
        TestModels.saveRandom(dir);
        lvg = InfLVG.load(dir);
        story = lvg.story("A cat jumps on the beach | A cat spins in space | A cat waves in the room");
        story.next();
        story.next();
    }

    @AfterAll
    static void close() {
        story.close();
        lvg.close();
    }

    static SelectionRequest request() {
        return new SelectionRequest(lvg.model(), story.cache(), story.cache().size(), "A cat waves in the room", "A cat",
                2, 5);
    }

    @Test
    void ruleBasedSelectors() {
        SelectionRequest r = request();
        int tpf = CFG.tokensPerFrame(), hist = r.history();
        assertEquals(8 * tpf, hist);
        assertArrayEquals(IntStream.range(0, hist).toArray(), Selectors.full().select(r).keptTokens());
        assertEquals(0, Selectors.none().select(r).size());
        assertArrayEquals(IntStream.range(hist - 2 * tpf, hist).toArray(), Selectors.window(2).select(r).keptTokens());
        Selection sink = Selectors.sinkAndRecent(1, 1).select(r);
        assertArrayEquals(new int[] {1, 0, 0, 0, 0, 0, 0, 1}, java.util.Arrays.stream(sink.keptPerFrame())
                .map(x -> x / tpf).toArray());
        Selection rnd = Selectors.random(20).select(r);
        assertEquals(20, rnd.size());
        assertArrayEquals(rnd.keptTokens(), Selectors.random(20).select(r).keptTokens(), "random is seeded");
    }

    @Test
    void scoringSelectorsKeepTheirTopK() {
        SelectionRequest r = request();
        for (ContextSelector s : new ContextSelector[] {Selectors.attentionScore(24), Selectors.textSimilarity(24)}) {
            Selection sel = s.select(r);
            assertEquals(24, sel.size());
            float min = Float.MAX_VALUE;
            for (int k : sel.keptTokens()) {
                min = Math.min(min, sel.scores()[k]);
            }
            for (int i = 0; i < r.history(); i++) {
                if (!sel.keeps(i)) {
                    assertTrue(sel.scores()[i] <= min, s.name() + ": dropped token " + i + " scores above a kept one");
                }
            }
        }
        float[] att;
        try (NDManager m = NDManager.newBaseManager()) {
            att = story.cache().attentionFromLastChunk(r.history(), m);
        }
        assertEquals(1.0, IntStream.range(0, att.length).mapToDouble(i -> att[i]).sum(), 1e-3,
                "attention over the history is a distribution");
        assertNotEquals(Selectors.attentionScore(24).select(r), Selectors.textSimilarity(24).select(r));
        // the score histogram counts every history token once, the kept ones in the top bins
        Selection top = Selectors.textSimilarity(24).select(r);
        var hist = top.scoreHistogram(10);
        var kept = hist.getSeriesMap().get("kept").getYData();
        var dropped = hist.getSeriesMap().get("dropped").getYData();
        double total = 0, keptTotal = 0;
        for (Number n : kept) {
            keptTotal += n.doubleValue();
        }
        for (Number n : dropped) {
            total += n.doubleValue();
        }
        assertEquals(24, keptTotal);
        assertEquals(r.history(), total + keptTotal);
        assertTrue(((java.util.List<? extends Number>) kept).get(9).doubleValue() > 0, "the highest bin holds kept tokens");
        assertThrows(IllegalStateException.class, () -> Selectors.full().select(r).scoreHistogram(10));
    }

    @Test
    void parsingAndErrors() {
        assertEquals("sink:1+4", Selectors.parse("sink:1+4").name());
        assertEquals(3, Selectors.parseList("full,none,window:8").size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Selectors.parse("best"));
        assertTrue(e.getMessage().contains("window:N") && e.getMessage().contains("attention:K"), e.getMessage());
        IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
                () -> Selectors.random(100_000).select(request()));
        assertTrue(k.getMessage().contains("[1, " + request().history() + "]"), k.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Selectors.parse("window:x"));
        assertThrows(IllegalArgumentException.class, () -> Selectors.window(0));
    }

    @Test
    void heatmapHighlightsKeptTokens() {
        SelectionRequest r = request();
        Selection w = Selectors.window(1).select(r);
        var img = w.heatmap(story.video(), 2);
        int frames = r.historyFrames();
        assertEquals(frames * (CFG.frameSize() * 2 + 2), img.getWidth());
        assertTrue(w.toString().contains(w.size() + " of " + r.history()));
    }
}
