package org.inflvg.reward;

import java.util.SplittableRandom;
import org.inflvg.video.Video;

/**
 * The artifacts a generated clip can show, applied to clean renders: what the artifact score is trained and tested on,
 * and the mild versions used as augmentation so the other reward models accept slightly imperfect frames. All are
 * deterministic for a given random source and keep values in [0, 1].
 */
public final class Corruptions {

    /** The corruption kinds of the artifact score's training and test sets. */
    public enum Kind {
        /** Gaussian blur, sigma 0.7 .. 1.6 pixels. */
        BLUR,
        /** Additive Gaussian noise, sigma 0.04 .. 0.15. */
        NOISE,
        /** Colour mosaic: 4x4 blocks averaged and colour-shifted over at least half of the frame, in half of the frames or more. */
        MOSAIC,
        /** Frozen frames: from frame 2 .. n-2 on, every frame repeats the one before (only meaningful when the subject moves). */
        FROZEN
    }

    private Corruptions() {
    }

    /** Applies {@code kind} at a strength drawn from its documented range. */
    public static Video apply(Video v, Kind kind, SplittableRandom r) {
        return switch (kind) {
            case BLUR -> blur(v, 0.7 + 0.9 * r.nextDouble());
            case NOISE -> noise(v, 0.04 + 0.11 * r.nextDouble(), r);
            case MOSAIC -> mosaic(v, 4, 0.08 + 0.12 * r.nextDouble(), r);
            case FROZEN -> frozen(v, 2 + r.nextInt(Math.max(1, v.frameCount() - 3)));
        };
    }

    /** Separable Gaussian blur with standard deviation {@code sigma} pixels (edges clamped). */
    public static Video blur(Video v, double sigma) {
        int rad = Math.max(1, (int) Math.ceil(2.5 * sigma));
        double[] k = new double[2 * rad + 1];
        double sum = 0;
        for (int i = -rad; i <= rad; i++) {
            k[i + rad] = Math.exp(-i * i / (2 * sigma * sigma));
            sum += k[i + rad];
        }
        for (int i = 0; i < k.length; i++) {
            k[i] /= sum;
        }
        int n = v.frameCount(), h = v.height(), w = v.width();
        float[] src = v.rgb(), tmp = new float[src.length], out = new float[src.length];
        for (int f = 0; f < n; f++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int c = 0; c < 3; c++) {
                        double s = 0;
                        for (int i = -rad; i <= rad; i++) {
                            int xx = Math.min(w - 1, Math.max(0, x + i));
                            s += k[i + rad] * src[((f * h + y) * w + xx) * 3 + c];
                        }
                        tmp[((f * h + y) * w + x) * 3 + c] = (float) s;
                    }
                }
            }
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int c = 0; c < 3; c++) {
                        double s = 0;
                        for (int i = -rad; i <= rad; i++) {
                            int yy = Math.min(h - 1, Math.max(0, y + i));
                            s += k[i + rad] * tmp[((f * h + yy) * w + x) * 3 + c];
                        }
                        out[((f * h + y) * w + x) * 3 + c] = clamp(s);
                    }
                }
            }
        }
        return Video.of(n, h, w, out);
    }

    /** Independent Gaussian noise of standard deviation {@code sigma} on every value. */
    public static Video noise(Video v, double sigma, SplittableRandom r) {
        float[] a = v.rgb();
        for (int i = 0; i < a.length; i++) {
            a[i] = clamp(a[i] + sigma * gaussian(r));
        }
        return Video.of(v.frameCount(), v.height(), v.width(), a);
    }

    /**
     * Colour mosaic: in a random rectangle covering at least half of each affected frame, every {@code block}-pixel
     * block is replaced by its mean colour shifted by up to {@code shift} per channel. At least half of the frames are
     * affected.
     */
    public static Video mosaic(Video v, int block, double shift, SplittableRandom r) {
        int n = v.frameCount(), h = v.height(), w = v.width();
        float[] a = v.rgb();
        int bw = w / block, bh = h / block;
        int rw = Math.max(1, (int) Math.ceil(bw * (0.7 + 0.3 * r.nextDouble())));
        int rh = Math.max(1, (int) Math.ceil(bh * (0.7 + 0.3 * r.nextDouble())));
        int rx = r.nextInt(bw - rw + 1), ry = r.nextInt(bh - rh + 1);
        int first = r.nextInt(Math.max(1, n / 2 + 1));
        for (int f = first; f < n; f++) {
            for (int by = ry; by < ry + rh; by++) {
                for (int bx = rx; bx < rx + rw; bx++) {
                    for (int c = 0; c < 3; c++) {
                        double s = 0;
                        for (int y = by * block; y < (by + 1) * block; y++) {
                            for (int x = bx * block; x < (bx + 1) * block; x++) {
                                s += a[((f * h + y) * w + x) * 3 + c];
                            }
                        }
                        float val = clamp(s / (block * block) + shift * (2 * r.nextDouble() - 1));
                        for (int y = by * block; y < (by + 1) * block; y++) {
                            for (int x = bx * block; x < (bx + 1) * block; x++) {
                                a[((f * h + y) * w + x) * 3 + c] = val;
                            }
                        }
                    }
                }
            }
        }
        return Video.of(n, h, w, a);
    }

    /** Frames {@code from} .. end repeat frame {@code from - 1}. */
    public static Video frozen(Video v, int from) {
        if (from < 1 || from >= v.frameCount()) {
            throw new IllegalArgumentException("frozen: first frozen frame must be in [1, " + (v.frameCount() - 1)
                    + "], got " + from);
        }
        float[] a = v.rgb();
        int per = v.height() * v.width() * 3;
        for (int f = from; f < v.frameCount(); f++) {
            System.arraycopy(a, (from - 1) * per, a, f * per, per);
        }
        return Video.of(v.frameCount(), v.height(), v.width(), a);
    }

    /**
     * Mild degradation used as training augmentation (so models trained on perfect renders accept generated frames):
     * with probability 0.4 a blur of sigma 0.3 .. 0.9, then noise of sigma 0 .. 0.04.
     */
    public static Video augment(Video v, SplittableRandom r) {
        Video out = r.nextDouble() < 0.4 ? blur(v, 0.3 + 0.6 * r.nextDouble()) : v;
        return noise(out, 0.04 * r.nextDouble(), r);
    }

    static double gaussian(SplittableRandom r) {
        double u = 1 - r.nextDouble(), w = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
    }

    private static float clamp(double x) {
        return (float) Math.max(0, Math.min(1, x));
    }
}
