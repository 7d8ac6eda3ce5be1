package org.inflvg.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.inflvg.video.FrameMetrics;
import org.inflvg.video.Video;
import org.inflvg.world.SpriteWorld;
import org.junit.jupiter.api.Test;

/** Each corruption moves the frame metric it is meant to move, stays in [0, 1] and is deterministic. */
class CorruptionsTest {

    private final Video clean = SpriteWorld.standard().render("A cat walks left on the beach", 17, 3).video();

    @Test
    void blurLowersSharpness() {
        Video b = Corruptions.blur(clean, 1.2);
        assertTrue(FrameMetrics.meanSharpness(b) < 0.5 * FrameMetrics.meanSharpness(clean),
                FrameMetrics.meanSharpness(b) + " vs " + FrameMetrics.meanSharpness(clean));
    }

    @Test
    void noiseRaisesNoiseLevelAndIsDeterministic() {
        Video n = Corruptions.noise(clean, 0.1, new SplittableRandom(1));
        assertTrue(FrameMetrics.noiseLevel(n, 0) > FrameMetrics.noiseLevel(clean, 0) + 0.02);
        assertArrayEquals(n.rgb(), Corruptions.noise(clean, 0.1, new SplittableRandom(1)).rgb());
        for (float v : n.rgb()) {
            assertTrue(v >= 0 && v <= 1);
        }
    }

    @Test
    void mosaicRaisesBlockiness() {
        Video m = Corruptions.mosaic(clean, 4, 0.15, new SplittableRandom(2));
        double before = 0, after = 0;
        for (int f = 0; f < clean.frameCount(); f++) {
            before = Math.max(before, FrameMetrics.blockiness(clean, f, 4));
            after = Math.max(after, FrameMetrics.blockiness(m, f, 4));
        }
        assertTrue(after > 2 * before, after + " vs " + before);
    }

    @Test
    void frozenRepeatsAFrame() {
        Video z = Corruptions.frozen(clean, 3);
        assertArrayEquals(z.frameRgb(2), z.frameRgb(7));
        assertArrayEquals(clean.frameRgb(1), z.frameRgb(1));
        assertEquals(5 / 7.0, ArtifactScore.features(z)[5], 1e-9); // pairs (2,3) .. (6,7) do not change
        assertEquals(0, ArtifactScore.features(clean)[5], 1e-9);
        assertThrows(IllegalArgumentException.class, () -> Corruptions.frozen(clean, 0));
    }

    @Test
    void aStillClipIsNotFrozen() {
        Video still = SpriteWorld.standard().render("A cat stands still on the beach", 17, 3).video();
        assertEquals(0, ArtifactScore.features(still)[5], 1e-9);
    }
}
