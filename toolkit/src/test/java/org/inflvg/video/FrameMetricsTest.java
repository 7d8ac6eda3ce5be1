package org.inflvg.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.inflvg.world.SpriteWorld;
import org.junit.jupiter.api.Test;

class FrameMetricsTest {

    final Video clip = SpriteWorld.standard().render("A knight jumps in the castle", 3, 1).video();

    static Video map(Video v, java.util.function.BiFunction<float[], Integer, float[]> perFrame) {
        float[] all = new float[v.frameCount() * v.height() * v.width() * 3];
        int per = v.height() * v.width() * 3;
        for (int f = 0; f < v.frameCount(); f++) {
            System.arraycopy(perFrame.apply(v.frameRgb(f), f), 0, all, f * per, per);
        }
        return Video.of(v.frameCount(), v.height(), v.width(), all);
    }

    static float[] boxBlur(float[] rgb, int n) {
        float[] o = new float[rgb.length];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                for (int c = 0; c < 3; c++) {
                    float s = 0;
                    int k = 0;
                    for (int dy = -1; dy <= 1; dy++) {
                        for (int dx = -1; dx <= 1; dx++) {
                            int yy = Math.max(0, Math.min(n - 1, y + dy)), xx = Math.max(0, Math.min(n - 1, x + dx));
                            s += rgb[(yy * n + xx) * 3 + c];
                            k++;
                        }
                    }
                    o[(y * n + x) * 3 + c] = s / k;
                }
            }
        }
        return o;
    }

    @Test
    void blurLowersSharpnessAndNoiseRaisesNoiseLevel() {
        Video blurred = map(clip, (f, i) -> boxBlur(f, 32));
        assertTrue(FrameMetrics.sharpness(blurred, 0) < 0.5 * FrameMetrics.sharpness(clip, 0));
        Random r = new Random(1);
        Video noisy = map(clip, (f, i) -> {
            float[] o = f.clone();
            for (int k = 0; k < o.length; k++) {
                o[k] = Math.max(0, Math.min(1, o[k] + (float) r.nextGaussian() * 0.25f));
            }
            return o;
        });
        assertTrue(FrameMetrics.noiseLevel(noisy, 0) > FrameMetrics.noiseLevel(clip, 0) + 0.03);
    }

    @Test
    void flickerAndHistogramDistance() {
        Video frozen = map(clip, (f, i) -> clip.frameRgb(0));
        assertEquals(0, FrameMetrics.flicker(frozen), 1e-9);
        Video flashing = map(clip, (f, i) -> {
            float[] o = f.clone();
            if (i % 2 == 1) {
                for (int k = 0; k < o.length; k++) {
                    o[k] = 1 - o[k];
                }
            }
            return o;
        });
        assertTrue(FrameMetrics.flicker(flashing) > 5 * FrameMetrics.flicker(clip));
        assertEquals(0, FrameMetrics.histogramDistance(clip, 0, clip, 0), 1e-6);
        Video other = SpriteWorld.standard().render("A knight jumps in the candy shop", 3, 1).video();
        assertTrue(FrameMetrics.histogramDistance(clip, 0, other, 0) > 0.5);
    }

    @Test
    void mosaicRaisesBlockiness() {
        Video mosaic = map(clip, (f, i) -> {
            float[] o = f.clone();
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    for (int c = 0; c < 3; c++) {
                        o[(y * 32 + x) * 3 + c] = f[((y / 4 * 4) * 32 + x / 4 * 4) * 3 + c] * 0.7f + (((x / 4 + y / 4) % 3) * 0.1f);
                    }
                }
            }
            return o;
        });
        assertTrue(FrameMetrics.blockiness(mosaic, 0, 4) > 2 * FrameMetrics.blockiness(clip, 0, 4),
                FrameMetrics.blockiness(mosaic, 0, 4) + " vs " + FrameMetrics.blockiness(clip, 0, 4));
    }
}
