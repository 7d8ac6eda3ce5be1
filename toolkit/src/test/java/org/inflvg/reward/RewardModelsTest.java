package org.inflvg.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.inflvg.StoryTest;
import org.inflvg.grpo.RewardFunction.Score;
import org.inflvg.video.Video;
import org.inflvg.world.Prompt;
import org.inflvg.world.SpriteWorld;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped reward models (data/rewards): acceptance figures on a small held-out sample, and the hybrid reward. */
class RewardModelsTest {

    static RewardModels models;
    static final SpriteWorld WORLD = SpriteWorld.standard();

    @BeforeAll
    static void load() {
        models = RewardModels.load();
    }

    @AfterAll
    static void close() {
        models.close();
    }

    @Test
    void acceptanceFiguresOnHeldOutIdentities() {
        JsonNode f = RewardTrainer.evaluate(models, 60, 77, (s, i, n, l) -> { });
        assertTrue(f.get("identityAucClip").asDouble() >= 0.95, "identity AUC " + f.get("identityAucClip"));
        assertTrue(f.get("subjectAccuracy").asDouble() >= 0.85, "subject accuracy " + f.get("subjectAccuracy"));
        assertTrue(f.get("actionAccuracy").asDouble() >= 0.9, "action accuracy " + f.get("actionAccuracy"));
        assertTrue(f.get("backgroundAccuracy").asDouble() >= 0.9, "background accuracy " + f.get("backgroundAccuracy"));
        assertTrue(f.get("artifactAuc").asDouble() >= 0.9, "artifact AUC " + f.get("artifactAuc"));
        assertTrue(f.get("alignmentOldBackground").asDouble() < f.get("alignmentHalfOldBackground").asDouble()
                && f.get("alignmentHalfOldBackground").asDouble() < f.get("alignmentCorrect").asDouble(), f.toString());
        assertTrue(f.get("presenceOnEmptyBackground").asDouble() < 0.2, "presence " + f.get("presenceOnEmptyBackground"));
    }

    /**
     * One batched pass (two reads from the device: every frame's outputs, every clip's action head) gives what each
     * clip analysed alone gives, for clips of different lengths and a one-frame clip (no pairs: uniform action).
     */
    @Test
    void aBatchAnalysesEachClipAsAloneWould() {
        List<Video> clips = List.of(WORLD.render("A robot jumps on the beach", 17, 1).video(),
                WORLD.render("A cat walks left in the forest", 5, 2).video().frames(0, 1),
                WORLD.render("A robot spins in space", 9, 3).video().frames(0, 5));
        List<RewardModels.ClipAnalysis> batch = models.analyse(clips);
        for (int c = 0; c < clips.size(); c++) {
            RewardModels.ClipAnalysis alone = models.analyse(List.of(clips.get(c))).get(0), b = batch.get(c);
            for (int k = 0; k < alone.action().length; k++) {
                assertEquals(alone.action()[k], b.action()[k], 1e-5, "clip " + c + " action " + k);
            }
            int last = clips.get(c).frameCount() - 1;
            for (int k = 0; k < RewardModels.EMBED; k++) {
                assertEquals(alone.embeddings()[last][k], b.embeddings()[last][k], 1e-5);
            }
            for (int k = 0; k < alone.background()[last].length; k++) {
                assertEquals(alone.background()[last][k], b.background()[last][k], 1e-5);
            }
            assertEquals(alone.subject()[0][0], b.subject()[0][0], 1e-5);
        }
        assertEquals(0.125f, batch.get(1).action()[0], 1e-9, "a one-frame clip has no action evidence");
    }

    @Test
    void copyingThePreviousBackgroundScoresLower() {
        HybridReward reward = new HybridReward(models);
        Video history = WORLD.render("A robot jumps in the forest", 9, 1).video();
        Prompt now = Prompt.parse("A robot jumps on the snowfield");
        Video right = WORLD.render(now, new org.inflvg.world.Identity(9), 2).video();
        Video copied = WORLD.render(now.withBackground(Prompt.parse("A robot jumps in the forest").background()),
                new org.inflvg.world.Identity(9), 2).video();
        List<Score> s = reward.score(List.of(right, copied), now, history);
        assertTrue(s.get(0).total() > s.get(1).total() + 0.2, s.toString());
        assertTrue(s.get(0).components().get("alignment") > s.get(1).components().get("alignment"), s.toString());
    }

    @Test
    void anotherIndividualScoresLowerIdentity() {
        HybridReward reward = new HybridReward(models);
        Prompt p = Prompt.parse("A cat waves in the room");
        Video history = WORLD.render("A cat walks left on the beach", 29, 1).video();
        Video same = WORLD.render(p, new org.inflvg.world.Identity(29), 2).video();
        Video otherSecondary = WORLD.render(p, new org.inflvg.world.Identity(29 + 12 * 5), 2).video(); // same primary
        Video otherPrimary = WORLD.render(p, new org.inflvg.world.Identity(29 + 3), 2).video();
        List<Score> s = reward.score(List.of(same, otherSecondary, otherPrimary), p, history);
        double id = s.get(0).components().get("identity");
        assertTrue(id > s.get(1).components().get("identity") + 0.03, s.toString());
        assertTrue(id > s.get(2).components().get("identity") + 0.1, s.toString());
    }

    @Test
    void noVisibleSubjectGivesIdentityZeroWithAReason() {
        HybridReward reward = new HybridReward(models);
        Prompt p = Prompt.parse("A fish spins in the ocean");
        Video history = WORLD.render(p, new org.inflvg.world.Identity(5), 1).video();
        Video empty = WORLD.renderBackground(p.background(), 3);
        Video black = Video.of(4, 32, 32, new float[4 * 32 * 32 * 3]);
        List<Score> s = reward.score(List.of(empty.concat(empty), black), p, history);
        for (Score sc : s) {
            assertEquals(0, sc.components().get("identity"), 1e-12, sc.toString());
            assertTrue(sc.note().contains("no subject"), sc.note());
            assertTrue(Double.isFinite(sc.total()));
        }
        Score noHistory = reward.score(List.of(history), p, null).get(0);
        assertEquals(0, noHistory.components().get("identity"));
        assertTrue(noHistory.note().contains("no history"));
    }

    @Test
    void batchedScoresEqualOneByOne() {
        Prompt p = Prompt.parse("A bird grows in the desert");
        Video a = WORLD.render(p, new org.inflvg.world.Identity(40), 1).video();
        Video b = WORLD.render("A bird shrinks in space", 40, 2).video().frames(0, 4);
        var both = models.analyse(List.of(a, b));
        assertEquals(models.alignment(a, p), both.get(0).alignment(p), 1e-5);
        assertEquals(models.alignment(b, p), both.get(1).alignment(p), 1e-5);
        assertEquals(models.subjectPresence(b), both.get(1).presence(), 1e-5);
    }

    @Test
    void aDamagedWeightFileIsRefusedByName(@TempDir Path dir) throws Exception {
        Path src = org.inflvg.InfLVG.home().resolve("data/rewards");
        for (String f : List.of(RewardModels.CONFIG, RewardModels.IDENTITY, RewardModels.ALIGNMENT)) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        byte[] bytes = Files.readAllBytes(dir.resolve(RewardModels.ALIGNMENT));
        bytes[bytes.length - 1] ^= 1;
        Files.write(dir.resolve(RewardModels.ALIGNMENT), bytes);
        var e = assertThrows(IllegalArgumentException.class, () -> RewardModels.load(dir));
        assertTrue(e.getMessage().contains(RewardModels.ALIGNMENT) && e.getMessage().contains("checksum"), e.getMessage());
        var missing = assertThrows(IllegalArgumentException.class, () -> RewardModels.load(dir.resolve("nope")));
        assertTrue(missing.getMessage().contains("train rewards"), missing.getMessage());
    }

    @Test
    void nativeMemoryStaysFlatOverManyGroups() throws Exception {
        // (the resident size after a GC: DJL frees the native copies behind array reads when the GC collects them, so
        // without one the figure is GC timing and what ran before this test, not a leak)
        HybridReward reward = new HybridReward(models);
        Prompt p = Prompt.parse("A knight walks right in the castle");
        Video history = WORLD.render(p, new org.inflvg.world.Identity(3), 1).video();
        List<Video> group = java.util.Collections.nCopies(8, WORLD.render(p, new org.inflvg.world.Identity(3), 2)
                .video().frames(0, 4));
        long base = 0;
        for (int i = 0; i < 120; i++) {
            reward.score(group, p, history);
            if (i == 20) {
                base = settledRssKb();
            }
        }
        long grown = settledRssKb() - base;
        assertTrue(grown < 30_000, "resident memory grew by " + grown + " kB over 100 groups of 8");
    }

    static long settledRssKb() throws Exception {
        System.gc();
        Thread.sleep(200);
        return StoryTest.rssKb();
    }
}
