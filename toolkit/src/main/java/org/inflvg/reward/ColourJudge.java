package org.inflvg.reward;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.inflvg.video.Video;
import org.inflvg.world.Background;
import org.inflvg.world.Identity;
import org.inflvg.world.SpriteWorld;
import org.inflvg.world.WorldConfig;

/**
 * A simple, documented judge of generated SpriteWorld scenes from colours alone, used to evaluate the base model
 * before (and beside) the learned reward models.
 *
 * <ul>
 *   <li><b>Background</b>: the colour histogram (4 x 4 x 4 RGB bins) of the scene's frames, averaged, is compared by L1
 *       distance with the histograms of subject-free renders of each of the 12 backgrounds (4 texture phases each);
 *       the nearest wins.</li>
 *   <li><b>Foreign pixels</b>: pixels farther than 0.25 (Euclidean RGB) from every colour of the background's palette
 *       (colours covering at least 0.5 % of its reference renders). The subject is <b>visible</b> when at least 3 % of
 *       the pixels are foreign, averaged over the frames.</li>
 *   <li><b>Identity colours</b>: the share of foreign pixels within 0.25 of the individual's primary or secondary
 *       colour. The identity is <b>kept</b> when that share is at least 0.5.</li>
 * </ul>
 * Calibrated on ground-truth renders (see {@code BaseModelEvaluation}): it is a proxy, not a reward model.
 */
public final class ColourJudge {

    static final double FOREIGN = 0.25, VISIBLE = 0.03, KEPT = 0.5;
    private final Map<Background, double[]> histograms = new EnumMap<>(Background.class);
    private final Map<Background, List<float[]>> palettes = new EnumMap<>(Background.class);

    public ColourJudge(int frameSize) {
        SpriteWorld w = new SpriteWorld(WorldConfig.DEFAULT.withSize(frameSize));
        for (Background b : Background.values()) {
            double[] h = new double[64];
            Map<Integer, Integer> counts = new java.util.HashMap<>();
            int total = 0;
            for (int seed = 0; seed < 4; seed++) {
                Video v = w.renderBackground(b, seed);
                double[] hv = histogram(v, 0);
                for (int i = 0; i < 64; i++) {
                    h[i] += hv[i] / 4;
                }
                float[] rgb = v.rgb();
                for (int p = 0; p < rgb.length; p += 3) {
                    int key = Math.round(rgb[p] * 63) << 12 | Math.round(rgb[p + 1] * 63) << 6 | Math.round(rgb[p + 2] * 63);
                    counts.merge(key, 1, Integer::sum);
                    total++;
                }
            }
            histograms.put(b, h);
            List<float[]> pal = new ArrayList<>();
            for (var e : counts.entrySet()) {
                if (e.getValue() >= 0.005 * total) {
                    int k = e.getKey();
                    pal.add(new float[] {(k >> 12) / 63f, ((k >> 6) & 63) / 63f, (k & 63) / 63f});
                }
            }
            palettes.put(b, pal);
        }
    }

    static double[] histogram(Video v, int f) {
        double[] h = new double[64];
        int n = v.height() * v.width();
        for (int y = 0; y < v.height(); y++) {
            for (int x = 0; x < v.width(); x++) {
                int r = Math.min(3, (int) (v.get(f, y, x, 0) * 4)), g = Math.min(3, (int) (v.get(f, y, x, 1) * 4)),
                        b = Math.min(3, (int) (v.get(f, y, x, 2) * 4));
                h[r * 16 + g * 4 + b] += 1.0 / n;
            }
        }
        return h;
    }

    /** The nearest background of frames [from, to) of a video. */
    public Background background(Video v, int from, int to) {
        double[] h = new double[64];
        for (int f = from; f < to; f++) {
            double[] hf = histogram(v, f);
            for (int i = 0; i < 64; i++) {
                h[i] += hf[i] / (to - from);
            }
        }
        Background best = null;
        double bestD = Double.MAX_VALUE;
        for (var e : histograms.entrySet()) {
            double d = 0;
            for (int i = 0; i < 64; i++) {
                d += Math.abs(h[i] - e.getValue()[i]);
            }
            if (d < bestD) {
                bestD = d;
                best = e.getKey();
            }
        }
        return best;
    }

    /** Histogram similarity of a video to a background's references: 1 - L1 / 2, in [0, 1]. */
    public double backgroundSimilarity(Video v, Background bg) {
        double[] h = new double[64];
        for (int f = 0; f < v.frameCount(); f++) {
            double[] hf = histogram(v, f);
            for (int i = 0; i < 64; i++) {
                h[i] += hf[i] / v.frameCount();
            }
        }
        double d = 0;
        for (int i = 0; i < 64; i++) {
            d += Math.abs(h[i] - histograms.get(bg)[i]);
        }
        return 1 - d / 2;
    }

    /** L1 distance, in [0, 2], between a 64-bin colour histogram ({@link #histogram}) and a background's references. */
    double distance(double[] h, Background bg) {
        double[] ref = histograms.get(bg);
        double d = 0;
        for (int i = 0; i < 64; i++) {
            d += Math.abs(h[i] - ref[i]);
        }
        return d;
    }

    /** The nearest background of a whole video. */
    public Background background(Video v) {
        return background(v, 0, v.frameCount());
    }

    /** Share of pixels of frame f far from every colour of {@code bg}'s palette. */
    public double foreignShare(Video v, int f, Background bg) {
        int n = 0, foreign = 0;
        for (int y = 0; y < v.height(); y++) {
            for (int x = 0; x < v.width(); x++) {
                n++;
                if (isForeign(v, f, y, x, bg)) {
                    foreign++;
                }
            }
        }
        return foreign / (double) n;
    }

    /**
     * The foreign pixels of frame f, [y * width + x]: farther than 0.25 from every colour of {@code bg}'s palette. With
     * the frame's nearest background ({@link #background(Video, int, int)}) this is the subject proxy for generated
     * frames, which have no ground-truth mask.
     */
    public boolean[] foreignMask(Video v, int f, Background bg) {
        boolean[] m = new boolean[v.height() * v.width()];
        for (int y = 0; y < v.height(); y++) {
            for (int x = 0; x < v.width(); x++) {
                m[y * v.width() + x] = isForeign(v, f, y, x, bg);
            }
        }
        return m;
    }

    boolean isForeign(Video v, int f, int y, int x, Background bg) {
        float r = v.get(f, y, x, 0), g = v.get(f, y, x, 1), b = v.get(f, y, x, 2);
        for (float[] c : palettes.get(bg)) {
            double d = Math.sqrt((r - c[0]) * (r - c[0]) + (g - c[1]) * (g - c[1]) + (b - c[2]) * (b - c[2]));
            if (d < FOREIGN) {
                return false;
            }
        }
        return true;
    }

    /** Whether a subject is visible on {@code bg}: mean foreign share over frames at least 3 %. */
    public boolean subjectVisible(Video v, Background bg) {
        double s = 0;
        for (int f = 0; f < v.frameCount(); f++) {
            s += foreignShare(v, f, bg);
        }
        return s / v.frameCount() >= VISIBLE;
    }

    /** Share of foreign pixels (w.r.t. {@code bg}) that have one of the individual's two colours (0 when none). */
    public double identityShare(Video v, Background bg, Identity id) {
        float[][] cols = id.colours();
        int foreign = 0, match = 0;
        for (int f = 0; f < v.frameCount(); f++) {
            for (int y = 0; y < v.height(); y++) {
                for (int x = 0; x < v.width(); x++) {
                    if (!isForeign(v, f, y, x, bg)) {
                        continue;
                    }
                    foreign++;
                    for (float[] c : cols) {
                        double d = 0;
                        for (int k = 0; k < 3; k++) {
                            d += (v.get(f, y, x, k) - c[k]) * (v.get(f, y, x, k) - c[k]);
                        }
                        if (Math.sqrt(d) < FOREIGN) {
                            match++;
                            break;
                        }
                    }
                }
            }
        }
        return foreign == 0 ? 0 : match / (double) foreign;
    }

    /** Whether the individual's colours dominate the subject pixels. */
    public boolean identityKept(Video v, Background bg, Identity id) {
        return identityShare(v, bg, id) >= KEPT;
    }
}
