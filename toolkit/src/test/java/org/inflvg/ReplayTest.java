package org.inflvg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import org.inflvg.model.KvCache;
import org.inflvg.model.ModelConfig;
import org.inflvg.reward.ColourJudges;
import org.inflvg.reward.HybridReward;
import org.inflvg.select.Selection;
import org.inflvg.select.Selectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Counterfactual replay on a small random model: bit-for-bit reproduction, stored history, edits, errors. */
class ReplayTest {

    static final ModelConfig CFG = TestModels.SMALL;
    static final String PROMPTS = StoryTest.PROMPTS;
    static final HybridReward COLOUR = new HybridReward(ColourJudges.colour(CFG.frameSize()));

    @TempDir
    static Path dir;

    @BeforeAll
    static void saveRandomModel() {
        TestModels.saveRandom(dir);
    }

    @Test
    void replayingTheUsedSelectionReproducesTheSceneBitForBit() {
        try (InfLVG lvg = InfLVG.load(dir); Story story = lvg.story(PROMPTS).seed(7).selector(Selectors.window(3))) {
            story.all();
            String storySha = story.video().sha256();
            int cached = story.cache().size();
            Scene scene = story.scenes().get(2);
            Selection used = scene.selection();
            Selection edited = used.withoutFrame(5).with(0, 1, 2);
            ReplayResult r = story.replay(2).original().selectors(Selectors.window(3), Selectors.none(), Selectors.full())
                    .selections(edited).reward(COLOUR).run();
            System.out.println(r.table());
            assertEquals(java.util.List.of("original", "window:3", "none", "full", edited.selector()), r.names());
            // the selection actually used, given or chosen again on the snapshot, gives the same frames
            assertEquals(scene.video().sha256(), r.row("original").sha256());
            assertArrayEquals(scene.video().rgb(), r.row("original").video().rgb(), "replay must be bit for bit");
            assertTrue(r.reproducesStory("window:3"));
            assertEquals(used, r.row("window:3").selection().named(used.selector()));
            assertFalse(r.reproducesStory("none"), "no context must change the scene");
            assertFalse(r.reproducesStory("full"));
            // kept-token counts: the history before scene 2 is 2 scenes of frames
            int history = 2 * CFG.sceneFrames() * CFG.tokensPerFrame();
            assertEquals(3 * CFG.tokensPerFrame(), r.row("original").kept());
            assertEquals(0, r.row("none").kept());
            assertEquals(history, r.row("full").kept());
            assertEquals(2 * CFG.tokensPerFrame() + 3, r.row(edited.selector()).kept());
            for (ReplayResult.Row row : r.rows()) {
                assertEquals(CFG.chunksPerScene(), row.chunkMillis().length);
                assertTrue(row.rewards().keySet().containsAll(java.util.List.of("alignment", "artifact", "identity")));
                assertTrue(Double.isFinite(row.reward()));
            }
            // the grid is one strip per alternative; the story itself is untouched (no earlier scene regenerated)
            assertEquals(5 * (CFG.frameSize() + 1) - 1, r.grid().height());
            assertEquals(CFG.sceneFrames(), r.grid().frameCount());
            assertEquals(cached, story.cache().size());
            assertEquals(storySha, story.video().sha256());
            String table = r.table();
            assertTrue(table.contains("alignment") && table.contains("ms/chunk") && table.contains("=story"), table);
            // a second replay of another transition still reproduces (snapshots do not disturb the story's cache)
            ReplayResult r1 = story.replay(1).reward(COLOUR).run();
            assertEquals(java.util.List.of("original"), r1.names());
            assertTrue(r1.reproducesStory("original"));
        }
    }

    /** The H2O selector reads the queries of the chunk before the switch: the snapshot must hold those, not the last. */
    @Test
    void attentionSelectorSeesTheCacheAsItStoodAtTheSwitch() {
        try (InfLVG lvg = InfLVG.load(dir); Story story = lvg.story(PROMPTS).seed(3).selector(Selectors.attentionScore(20))) {
            story.all();
            for (int t = 1; t <= 2; t++) {
                ReplayResult r = story.replay(t).selectors(Selectors.attentionScore(20)).reward(COLOUR).run();
                assertArrayEquals(story.scenes().get(t).selection().keptTokens(),
                        r.row("attention:20").selection().keptTokens(), "transition " + t);
                assertTrue(r.reproducesStory("attention:20"), "transition " + t);
            }
        }
    }

    @Test
    void selectionEditsAndErrorsSayWhatToDo() {
        try (InfLVG lvg = InfLVG.load(dir); Story story = lvg.story(PROMPTS).seed(1)) {
            story.next();
            IllegalArgumentException early = assertThrows(IllegalArgumentException.class, () -> story.replay(1));
            assertTrue(early.getMessage().contains("at least 2 finished scenes"), early.getMessage());
            story.all();
            for (int t : new int[] {0, 3}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> story.replay(t));
                assertTrue(e.getMessage().contains("transition must be in [1, 2]"), e.getMessage());
            }
            Selection s1 = story.scenes().get(1).selection();
            IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                    () -> story.replay(2).selections(s1));
            assertTrue(wrong.getMessage().contains("story.scenes().get(2).selection()"), wrong.getMessage());
            Selection s2 = story.scenes().get(2).selection();
            assertEquals(s2.size() - CFG.tokensPerFrame(), s2.withoutFrame(0).size());
            assertEquals(s2.size() - 2, s2.without(0, 1, 1).size());
            assertEquals(s2, s2.without(0).with(0).named(s2.selector()));
            IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                    () -> s2.withoutFrame(0).with(s2.candidates()));
            assertTrue(outside.getMessage().contains("outside the history"), outside.getMessage());
            try (NDManager m = NDManager.newBaseManager()) {
                KvCache c = story.cache();
                assertThrows(IllegalArgumentException.class, () -> c.snapshot(c.firstTokenOfScene(1) + 1, m));
                try (KvCache snap = c.snapshot(c.firstTokenOfScene(2), m)) {
                    assertEquals(c.firstTokenOfScene(2), snap.size());
                    assertEquals(c.sceneOf(snap.size() - 1), snap.sceneOf(snap.size() - 1));
                }
            }
        }
    }
}
