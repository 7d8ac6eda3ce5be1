package org.inflvg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.inflvg.model.ChunkGenerator;
import org.inflvg.model.ModelConfig;
import org.inflvg.model.Patches;
import org.inflvg.model.Sampling;
import org.inflvg.model.VideoModel;
import org.inflvg.select.Selection;
import org.inflvg.select.Selectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Overriding a loaded model's sampling (Euler steps, classifier-free guidance) without copying its weights. */
class SamplingTest {

    static final ModelConfig CFG = TestModels.SMALL;
    static final String PROMPTS = "A robot jumps on the beach | A robot walks left in the forest";
    @TempDir
    static Path dir;

    @BeforeAll
    static void randomModel() {
        TestModels.saveRandom(dir);
    }

    private static String frames(InfLVG lvg) {
        try (Story s = lvg.story(PROMPTS).seed(3).selector(Selectors.full())) {
            s.all();
            return s.video().sha256();
        }
    }

    @Test
    void settingsChangeTheFramesAndTheModelsOwnComeBack() {
        try (InfLVG lvg = InfLVG.load(dir)) {
            assertEquals(new Sampling(CFG.denoiseSteps(), CFG.guidance()), lvg.sampling());
            String own = frames(lvg);
            VideoModel loaded = lvg.model();
            String guided = frames(lvg.sampling(new Sampling(null, 2.0)));
            assertEquals(2.0, lvg.model().config().guidance());
            assertEquals(CFG.denoiseSteps(), lvg.model().config().denoiseSteps(), "a null keeps the model's steps");
            assertEquals(loaded.checksum(), lvg.model().checksum(), "same weights");
            String stepped = frames(lvg.sampling(new Sampling(6, null)));
            assertEquals(1.0, lvg.model().config().guidance(), "each call starts from the model's own settings");
            String back = frames(lvg.sampling(Sampling.MODEL));
            assertSame(loaded, lvg.model(), "the model's own settings are the loaded model itself");
            assertNotEquals(own, guided, "guidance 2 must change the frames");
            assertNotEquals(own, stepped, "6 Euler steps instead of 2 must change the frames");
            assertEquals(own, back);
            // guidance 1 is no guidance: the same frames as the model's own, bit for bit
            assertEquals(own, frames(lvg.sampling(new Sampling(CFG.denoiseSteps(), 1.0))));
        }
    }

    /**
     * A GRPO rollout samples as generation does: each member's chunks equal the chunks a story generates under the same
     * selection with the same noise, without guidance and with guidance 2 (whose unconditional pass must see the
     * member's own context), and with other Euler steps.
     */
    @Test
    void rolloutMembersEqualGeneratedScenesUnderEverySetting() {
        for (Sampling s : new Sampling[] {Sampling.MODEL, new Sampling(null, 2.0), new Sampling(3, 0.5)}) {
            try (InfLVG lvg = InfLVG.load(dir).sampling(s); Story story = lvg.story(PROMPTS).seed(5)) {
                story.next();
                int history = story.cache().size(), k = CFG.tokensPerFrame() + 3;
                Random r = new Random(1);
                int[][] keep = new int[2][];
                for (int g = 0; g < 2; g++) {
                    keep[g] = r.ints(0, history).distinct().limit(k).sorted().toArray();
                }
                String prompt = story.eps().scenes().get(1);
                int chunks = CFG.chunksPerScene();
                float[][] rolled = ChunkGenerator.rollout(lvg.model(), story.cache(), keep, lvg.model().tokenize(prompt),
                        CFG.sceneFrames(), chunks, story.noiseSeedOf(1));
                for (int g = 0; g < 2; g++) {
                    Selection sel = new Selection("fixed#" + g, keep[g], new int[0], null, history, k,
                            CFG.tokensPerFrame());
                    try (Story again = lvg.story(PROMPTS).seed(5).selector(fixed(sel))) {
                        again.next();
                        again.next();
                        float[] gen = again.scenes().get(1).video().rgb();
                        float[] roll = Patches.toVideo(rolled[g], chunks * CFG.chunkFrames(), CFG.frameSize(),
                                CFG.patch()).rgb();
                        float max = 0;
                        for (int i = 0; i < gen.length; i++) {
                            max = Math.max(max, Math.abs(gen[i] - roll[i]));
                        }
                        assertTrue(max < 1e-3, s + ", member " + g + ": rollout and generation differ by " + max);
                    }
                }
            }
        }
    }

    private static org.inflvg.select.ContextSelector fixed(Selection sel) {
        return new org.inflvg.select.ContextSelector() {
            public Selection select(org.inflvg.select.SelectionRequest request) {
                return sel;
            }

            public String name() {
                return sel.selector();
            }
        };
    }

    @Test
    void hostFilesCarrySamplingAndRefuseImpossibleValues(@TempDir Path tmp) throws Exception {
        Path host = tmp.resolve("host.json");
        Files.writeString(host, "{\"model\": \"" + dir.toAbsolutePath().toString().replace("\\", "/")
                + "\", \"sampling\": {\"guidance\": 2.5}}");
        HostConfig h = HostConfig.read(host);
        assertEquals(new Sampling(null, 2.5), h.sampling());
        try (InfLVG lvg = InfLVG.load(host)) {
            assertEquals(2.5, lvg.model().config().guidance());
            assertEquals(CFG.denoiseSteps(), lvg.model().config().denoiseSteps());
        }
        assertEquals(HostConfig.CPU_TINY, HostConfig.CPU_TINY.withSampling(Sampling.MODEL), "no override: no key");
        assertEquals(new Sampling(8, 2.0), HostConfig.CPU_TINY.withSampling(new Sampling(8, null))
                .withSampling(new Sampling(null, 2.0)).sampling(), "flags on top of the file's settings");
        for (String[] bad : new String[][] {
                {"{\"sampling\": {\"guidance\": 30}}", "guidance", "[0, 20]"},
                {"{\"sampling\": {\"steps\": 0}}", "steps", "[1, 1000]"},
                {"{\"sampling\": {\"cfg\": 2}}", "unknown key 'cfg'", "steps, guidance"},
                {"{\"sampling\": {\"steps\": \"many\"}}", "sampling.steps", "wrong type"}}) {
            Files.writeString(host, bad[0]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostConfig.read(host));
            for (int i = 1; i < bad.length; i++) {
                assertTrue(e.getMessage().contains(bad[i]), bad[0] + " -> " + e.getMessage());
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new Sampling(null, Double.NaN));
    }
}
