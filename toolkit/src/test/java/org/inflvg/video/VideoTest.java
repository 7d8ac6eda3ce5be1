package org.inflvg.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.inflvg.world.SpriteWorld;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VideoTest {

    static Video smooth(int frames, int h, int w) {
        float[] rgb = new float[frames * h * w * 3];
        for (int f = 0; f < frames; f++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int o = ((f * h + y) * w + x) * 3;
                    rgb[o] = x / (float) (w - 1);
                    rgb[o + 1] = y / (float) (h - 1);
                    rgb[o + 2] = f / (float) Math.max(1, frames - 1);
                }
            }
        }
        return Video.of(frames, h, w, rgb);
    }

    static double meanAbs(Video a, Video b) {
        float[] x = a.rgb(), y = b.rgb();
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += Math.abs(x[i] - y[i]);
        }
        return s / x.length;
    }

    @Test
    void mp4RoundTripKeepsFramesSizeAndPixels(@TempDir Path dir) {
        Video v = smooth(12, 64, 64);
        Path p = dir.resolve("a/b/clip.mp4");
        v.save(p);
        Video back = Video.load(p);
        assertEquals(12, back.frameCount());
        assertEquals(64, back.width());
        assertEquals(64, back.height());
        assertTrue(meanAbs(v, back) < 0.05, "mean abs error " + meanAbs(v, back));
    }

    @Test
    void renderedSpriteWorldSurvivesMp4AtEightTimes(@TempDir Path dir) {
        Video v = SpriteWorld.standard().render("A robot jumps on the beach", 17, 0).video();
        Video big = v.upscale(8);
        big.save(dir.resolve("r.mp4"));
        Video back = Video.load(dir.resolve("r.mp4"));
        assertEquals(8, back.frameCount());
        assertEquals(256, back.width());
        assertTrue(meanAbs(big, back) < 0.05, "mean abs error " + meanAbs(big, back));
    }

    @Test
    void gifAndPngAreWrittenAtomically(@TempDir Path dir) throws Exception {
        Video v = smooth(5, 9, 7);
        v.save(dir.resolve("x.gif"));
        Video g = Video.load(dir.resolve("x.gif"));
        assertEquals(5, g.frameCount());
        assertEquals(7, g.width());
        v.save(dir.resolve("x.png"));
        var img = javax.imageio.ImageIO.read(dir.resolve("x.png").toFile());
        assertEquals(5 * 8 - 1, img.getWidth());
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary files may remain");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> v.save(dir.resolve("x.avi")));
        assertTrue(e.getMessage().contains(".mp4, .gif or .png"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Video.load(dir.resolve("missing.mp4")));
    }

    @Test
    void tinyAndOddClipsStillWriteAsMp4(@TempDir Path dir) {
        smooth(3, 9, 7).save(dir.resolve("t.mp4"));
        Video back = Video.load(dir.resolve("t.mp4"));
        assertEquals(3, back.frameCount());
        assertTrue(back.width() >= 16 && back.height() >= 16, back.toString());
    }

    @Test
    void checksumIsStableAndSensitive() {
        Video v = smooth(2, 4, 4);
        assertEquals(v.sha256(), smooth(2, 4, 4).sha256());
        float[] rgb = v.rgb();
        rgb[5] = rgb[5] > 0.5f ? 0f : 1f;
        assertNotEquals(v.sha256(), Video.of(2, 4, 4, rgb).sha256());
        assertThrows(IllegalArgumentException.class, () -> Video.of(1, 1, 1, new float[] {0, 2, 0}));
        assertEquals(smooth(3, 4, 4).frames(1, 3).frameCount(), 2);
    }
}
