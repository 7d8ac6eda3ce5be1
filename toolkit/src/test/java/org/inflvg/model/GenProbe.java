package org.inflvg.model;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.inflvg.InfLVG;
import org.inflvg.Scene;
import org.inflvg.Story;
import org.inflvg.select.Selectors;
import org.inflvg.video.Video;

/** Manual probe: generate stories under selectors and write a PNG (rows: selectors; columns: frames). Not a test. */
public class GenProbe {
    public static void main(String[] a) throws Exception {
        Path dir = Path.of(a[0]);
        String out = a[1];
        String prompts = a.length > 2 ? a[2] : "A robot walks right on the beach | A robot jumps in the forest | A robot spins in space";
        try (InfLVG lvg = InfLVG.load(dir)) {
            System.out.println(lvg);
            String[] sels = {"full", "none", "window:2"};
            Video[] rows = new Video[sels.length];
            for (int i = 0; i < sels.length; i++) {
                try (Story st = lvg.story(prompts).seed(3).selector(Selectors.parse(sels[i]))) {
                    long t0 = System.nanoTime();
                    List<Scene> scenes = st.all();
                    for (Scene s : scenes) System.out.println(sels[i] + " " + s + " ctx " + java.util.Arrays.toString(s.contextTokens()));
                    System.out.printf("%s: %.1f s%n", sels[i], (System.nanoTime() - t0) / 1e9);
                    rows[i] = st.video();
                }
            }
            int n = 32, sc = 3, F = rows[0].frameCount();
            BufferedImage img = new BufferedImage(F * (n + 1) * sc, rows.length * (n + 1) * sc, BufferedImage.TYPE_INT_RGB);
            for (int r = 0; r < rows.length; r++)
                for (int f = 0; f < F; f++)
                    for (int y = 0; y < n; y++) for (int x = 0; x < n; x++) {
                        Video v = rows[r];
                        int rgb = ((int) (v.get(f, y, x, 0) * 255) << 16) | ((int) (v.get(f, y, x, 1) * 255) << 8) | (int) (v.get(f, y, x, 2) * 255);
                        for (int dy = 0; dy < sc; dy++) for (int dx = 0; dx < sc; dx++)
                            img.setRGB((f * (n + 1) + x) * sc + dx, (r * (n + 1) + y) * sc + dy, rgb);
                    }
            ImageIO.write(img, "png", new File(out));
        }
    }
}
