package org.inflvg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.inflvg.model.ModelConfig;
import org.inflvg.model.ModelFiles;
import org.inflvg.model.TinyDiT;
import org.inflvg.select.Selectors;
import org.inflvg.world.EpsGenerator;
import org.inflvg.world.Split;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scene-by-scene API on a small random model: determinism, selection plumbing, errors, and native memory. */
public class StoryTest {

    static final ModelConfig CFG = TestModels.SMALL;
    @TempDir
    static Path dir;

    @BeforeAll
    static void saveRandomModel() {
        TestModels.saveRandom(dir);
    }

    static final String PROMPTS = "A robot jumps on the beach | A robot walks left in the forest | A robot spins in space";

    @Test
    void sameSeedSamePixelsAndSelectorsMatter() {
        try (InfLVG lvg = InfLVG.load(dir)) {
            String a, b, c;
            try (Story s = lvg.story(PROMPTS).seed(7)) {
                s.all();
                a = s.video().sha256();
                assertNull(s.scenes().get(0).selection());
                assertEquals(2 * CFG.tokensPerChunk() * CFG.chunksPerScene(), s.scenes().get(2).selection().size());
            }
            try (Story s = lvg.story(PROMPTS).seed(7)) {
                s.all();
                b = s.video().sha256();
            }
            try (Story s = lvg.story(PROMPTS).seed(7).selector(Selectors.none())) {
                List<Scene> sc = s.all();
                c = s.video().sha256();
                assertEquals(0, sc.get(1).selection().size());
                // within a scene, chunk k attends to the k earlier chunks of its own scene only
                assertEquals(CFG.tokensPerChunk(), sc.get(1).contextTokens()[1]);
            }
            assertEquals(a, b, "same seed and selector must give the same frames");
            assertNotEquals(a, c, "full and no context must differ");
        }
    }

    @Test
    void queryBookkeepingChangesNoPixelAndAttentionNeedsIt() {
        try (InfLVG lvg = InfLVG.load(dir)) {
            String kept, dropped;
            try (Story s = lvg.story(PROMPTS).seed(3).selector(Selectors.attentionScore(16))) {
                assertTrue(s.cache().keepsQueries(), "queries are kept by default");
                s.all();
                kept = s.video().sha256();
            }
            try (Story s = lvg.story(PROMPTS).seed(3).selector(Selectors.window(1))) {
                s.cache().keepQueries(false);
                s.all();
                dropped = s.video().sha256();
                try (NDManager m = NDManager.newBaseManager()) {
                    IllegalStateException e = assertThrows(IllegalStateException.class,
                            () -> s.cache().attentionFromLastChunk(8, m));
                    assertTrue(e.getMessage().contains("keepQueries"), e.getMessage());
                }
            }
            try (Story s = lvg.story(PROMPTS).seed(3).selector(Selectors.window(1))) {
                s.all();
                assertEquals(s.video().sha256(), dropped, "keeping queries must not change a single pixel");
            }
            assertNotEquals(kept, dropped, "attention:16 ran on kept queries and chose differently from window:1");
        }
    }

    @Test
    void aPolicyFromAFolderKeepsItsWordAsName(@TempDir Path other) {
        try (InfLVG lvg = InfLVG.load(dir)) {
            lvg.newPolicy(org.inflvg.policy.PolicyConfig.forModel(CFG).withBudget(8), 5).save(other);
            var sels = Selectors.parseList("policy:8@" + other + ",policy:8");
            assertEquals(List.of("policy:8@" + other, "policy:8"), sels.stream().map(x -> x.name()).toList(),
                    "two policies must be told apart (CsVBench keys its cells by name)");
            try (Story s = lvg.story(PROMPTS).seed(1).selector(sels.get(0))) {
                s.next();
                s.next();
                assertEquals("policy:8@" + other, s.scenes().get(1).selection().selector());
            }
        }
    }

    @Test
    void chunkStepsAndErrors() {
        try (InfLVG lvg = InfLVG.load(dir); Story s = lvg.story(PROMPTS)) {
            assertNull(s.nextChunk());
            Scene first = s.nextChunk();
            assertEquals(0, first.index());
            assertEquals(CFG.sceneFrames(), first.video().frameCount());
            assertThrows(IllegalStateException.class, () -> s.seed(3));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> lvg.story("A robot jumps on the moon"));
            assertTrue(e.getMessage().contains("moon"), e.getMessage());
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                    () -> lvg.story(EpsGenerator.generate(Split.TEST, 1, 12, 0).get(0)));
            assertTrue(tooLong.getMessage().contains("at most"), tooLong.getMessage());
        }
    }

    /** Generating 9 scenes 20 times in one process must leave native memory flat. */
    @Test
    void nativeMemoryStaysFlatOverManyStories() throws Exception {
        var eps = EpsGenerator.generate(Split.TEST, 1, 9, 0).get(0);
        try (InfLVG lvg = InfLVG.load(dir)) {
            long base = 0;
            for (int i = 0; i < 20; i++) {
                try (Story s = lvg.story(eps).seed(i).selector(i % 2 == 0 ? Selectors.full() : Selectors.random(40))) {
                    s.all();
                }
                if (i == 4) {
                    base = rssKb();
                }
                System.out.println("iteration " + i + " native kB " + rssKb());
            }
            long grown = rssKb() - base;
            assertTrue(grown < 40_000, "resident memory grew by " + grown + " kB over 15 stories of 9 scenes");
        }
    }

    /** Resident memory minus the Java heap's committed size: roughly the native memory in use. */
    public static long rssKb() throws Exception {
        System.gc();
        long heapKb = Runtime.getRuntime().totalMemory() / 1024;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D+", "")) - heapKb;
            }
        }
        throw new IllegalStateException("no VmRSS");
    }
}
