package org.inflvg.reward;

import org.inflvg.video.FrameMetrics;
import org.inflvg.video.Video;
import org.inflvg.world.Background;
import org.inflvg.world.Prompt;

/**
 * The colour-heuristic {@link Judge}: the <b>fallback</b> used by CsVBench and tests until (or beside) the learned
 * reward models. It knows SpriteWorld's backgrounds from their colour histograms and sees the subject as the pixels
 * whose colours the background does not have; it cannot tell a subject's category or action. Every number is a
 * documented heuristic built on {@link ColourJudge} and {@link FrameMetrics}, not a trained model:
 *
 * <ul>
 *   <li><b>backgroundProbabilities</b>: per frame f, {@code p_f(b) = softmax_b(-d_f(b) / T)} with {@code d_f(b)} the L1
 *       distance (in [0, 2]) between the frame's 4x4x4 RGB histogram and background b's reference histogram, and
 *       temperature {@code T = 0.05}; the clip's value is the mean of {@code p_f} over frames.</li>
 *   <li><b>subject pixels</b> of frame f: pixels farther than 0.25 (RGB) from every palette colour of the frame's most
 *       probable background. A subject is <b>visible</b> in a frame when they cover at least 3 % of it;
 *       {@code subjectPresence} = share of frames where one is visible.</li>
 *   <li><b>alignment</b> = ({@code p(prompt's background)} + subjectPresence) / 2. The subject's category and the
 *       action are <i>not</i> judged (colours cannot tell a cat from a robot).</li>
 *   <li><b>identity embedding</b> of a frame: the 4x4x4 RGB histogram of its subject pixels, L2-normalised; the zero
 *       vector when no subject is visible. {@code identity(clip, history)} = mean over all cross pairs of up to 8
 *       evenly spaced frames of each of {@code max(0, cos)}; a pair with a zero embedding counts 0.
 *       {@code subjectConsistency} = the same over consecutive frames of the clip (a one-frame clip: 1 when a subject
 *       is visible, else 0).</li>
 *   <li><b>artifact</b> (cleanliness) = {@code (1 - min(1, 4 * flicker)) * (1 - min(1, max(0, noise - 0.02) / 0.08))},
 *       with {@code flicker} = {@link FrameMetrics#flicker} and {@code noise} = mean over frames of
 *       {@link FrameMetrics#noiseLevel} (clean SpriteWorld renders: noise about 0.01). Blur and frozen frames are not
 *       detected.</li>
 * </ul>
 */
public final class ColourJudges {

    /** Softmax temperature over histogram L1 distances. */
    static final double TEMPERATURE = 0.05;
    /** Noise level of clean renders (below it costs nothing) and the span above it that brings cleanliness to 0. */
    static final double NOISE_FREE = 0.02, NOISE_SPAN = 0.08;
    static final int MAX_FRAMES = 8;

    private ColourJudges() {
    }

    /** The colour-heuristic fallback judge for frames of {@code frameSize} pixels. */
    public static Judge colour(int frameSize) {
        return new Colour(new ColourJudge(frameSize), frameSize);
    }

    private static final class Colour implements Judge {
        private final ColourJudge cj;
        private final int size;

        Colour(ColourJudge cj, int size) {
            this.cj = cj;
            this.size = size;
        }

        /** Per-frame background distribution [B]. */
        private double[] frameProbabilities(Video v, int f) {
            double[] h = ColourJudge.histogram(v, f);
            Background[] bs = Background.values();
            double[] logits = new double[bs.length];
            double max = Double.NEGATIVE_INFINITY;
            for (int b = 0; b < bs.length; b++) {
                logits[b] = -cj.distance(h, bs[b]) / TEMPERATURE;
                max = Math.max(max, logits[b]);
            }
            double z = 0;
            for (int b = 0; b < bs.length; b++) {
                logits[b] = Math.exp(logits[b] - max);
                z += logits[b];
            }
            for (int b = 0; b < bs.length; b++) {
                logits[b] /= z;
            }
            return logits;
        }

        @Override
        public double[] backgroundProbabilities(Video clip) {
            double[] p = new double[Background.values().length];
            for (int f = 0; f < clip.frameCount(); f++) {
                double[] pf = frameProbabilities(clip, f);
                for (int b = 0; b < p.length; b++) {
                    p[b] += pf[b] / clip.frameCount();
                }
            }
            return p;
        }

        private Background nearest(Video v, int f) {
            double[] p = frameProbabilities(v, f);
            int best = 0;
            for (int b = 1; b < p.length; b++) {
                if (p[b] > p[best]) {
                    best = b;
                }
            }
            return Background.values()[best];
        }

        /** The frame's identity embedding [64], L2-normalised; all zeros when no subject is visible. */
        private double[] embedding(Video v, int f) {
            Background bg = nearest(v, f);
            double[] e = new double[64];
            int foreign = 0;
            for (int y = 0; y < v.height(); y++) {
                for (int x = 0; x < v.width(); x++) {
                    if (cj.isForeign(v, f, y, x, bg)) {
                        foreign++;
                        int r = Math.min(3, (int) (v.get(f, y, x, 0) * 4)), g = Math.min(3, (int) (v.get(f, y, x, 1) * 4)),
                                b = Math.min(3, (int) (v.get(f, y, x, 2) * 4));
                        e[r * 16 + g * 4 + b]++;
                    }
                }
            }
            if (foreign < ColourJudge.VISIBLE * v.height() * v.width()) {
                return new double[64];
            }
            double n = 0;
            for (double x : e) {
                n += x * x;
            }
            n = Math.sqrt(n);
            for (int i = 0; i < 64; i++) {
                e[i] /= n;
            }
            return e;
        }

        private static double cosine(double[] a, double[] b) {
            double s = 0;
            for (int i = 0; i < a.length; i++) {
                s += a[i] * b[i];
            }
            return Math.max(0, s); // both unit length or zero
        }

        private static boolean zero(double[] e) {
            for (double x : e) {
                if (x != 0) {
                    return false;
                }
            }
            return true;
        }

        /** Up to {@link #MAX_FRAMES} evenly spaced frame indices. */
        private static int[] spaced(Video v) {
            int n = Math.min(MAX_FRAMES, v.frameCount());
            int[] idx = new int[n];
            for (int i = 0; i < n; i++) {
                idx[i] = n == 1 ? 0 : (int) Math.round(i * (v.frameCount() - 1) / (double) (n - 1));
            }
            return idx;
        }

        @Override
        public double subjectPresence(Video clip) {
            double s = 0;
            for (int f = 0; f < clip.frameCount(); f++) {
                s += cj.foreignShare(clip, f, nearest(clip, f)) >= ColourJudge.VISIBLE ? 1 : 0;
            }
            return s / clip.frameCount();
        }

        @Override
        public double alignment(Video clip, Prompt prompt) {
            return (backgroundProbabilities(clip)[prompt.background().ordinal()] + subjectPresence(clip)) / 2;
        }

        @Override
        public double identity(Video clip, Video history) {
            int[] a = spaced(clip), b = spaced(history);
            double[][] hb = new double[b.length][];
            for (int j = 0; j < b.length; j++) {
                hb[j] = embedding(history, b[j]);
            }
            double s = 0;
            for (int i : a) {
                double[] e = embedding(clip, i);
                for (double[] h : hb) {
                    s += cosine(e, h);
                }
            }
            return s / (a.length * (double) b.length);
        }

        @Override
        public double subjectConsistency(Video clip) {
            if (clip.frameCount() == 1) {
                return zero(embedding(clip, 0)) ? 0 : 1;
            }
            double s = 0;
            double[] prev = embedding(clip, 0);
            for (int f = 1; f < clip.frameCount(); f++) {
                double[] e = embedding(clip, f);
                s += cosine(prev, e);
                prev = e;
            }
            return s / (clip.frameCount() - 1);
        }

        @Override
        public double artifact(Video clip) {
            double noise = 0;
            for (int f = 0; f < clip.frameCount(); f++) {
                noise += FrameMetrics.noiseLevel(clip, f) / clip.frameCount();
            }
            double temporal = 1 - Math.min(1, 4 * FrameMetrics.flicker(clip));
            double spatial = 1 - Math.min(1, Math.max(0, noise - NOISE_FREE) / NOISE_SPAN);
            return temporal * spatial;
        }

        @Override
        public String toString() {
            return "colour-judge fallback (" + size + "x" + size + ")";
        }
    }
}
