package org.inflvg.reward;

import java.util.ArrayList;
import java.util.List;
import org.inflvg.video.FrameMetrics;
import org.inflvg.video.Video;

/**
 * The artifact score: a logistic regression over six clip features built from OpenCV frame metrics, fitted to tell
 * clean renders from corrupted ones ({@link Corruptions}). Higher = cleaner, in (0, 1).
 *
 * <p>Features of a clip (each standardised by the mean and standard deviation over clean training clips, clipped to
 * [-8, 8] and used as z and z^2/8 so that "too sharp" (noise) and "too soft" (blur) both count):
 * <ol>
 *   <li>log of the mean Laplacian variance ({@link FrameMetrics#sharpness}) - blur lowers it, noise raises it;</li>
 *   <li>log of the lowest per-frame Laplacian variance - blur in a few frames;</li>
 *   <li>mean median-residual noise ({@link FrameMetrics#noiseLevel});</li>
 *   <li>log of the highest per-frame 4-pixel blockiness ({@link FrameMetrics#blockiness}) - mosaic;</li>
 *   <li>flicker ({@link FrameMetrics#flicker}) - noise and unstable frames;</li>
 *   <li>frozen-after-motion: the share of consecutive frame pairs that do not change at all (mean absolute difference
 *       under 1e-4) after at least one pair that did (over 1e-3). A clip that never moves scores 0: a still subject
 *       is not an artifact.</li>
 * </ol>
 * score = sigmoid(b + sum_i (w_i z_i + u_i z_i^2 / 8)).
 */
public final class ArtifactScore {

    /** Number of raw features. */
    public static final int FEATURES = 6;
    static final String[] NAMES = {"logSharpness", "logMinSharpness", "noise", "logMaxBlockiness", "flicker",
        "frozenAfterMotion"};

    final double[] mean, std, weights;
    double bias;

    ArtifactScore(double[] mean, double[] std, double[] weights, double bias) {
        if (mean.length != FEATURES || std.length != FEATURES || weights.length != 2 * FEATURES) {
            throw new IllegalArgumentException("artifact score needs " + FEATURES + " means and deviations and "
                    + 2 * FEATURES + " weights");
        }
        this.mean = mean.clone();
        this.std = std.clone();
        this.weights = weights.clone();
        this.bias = bias;
    }

    /** The raw features of a clip (see the class comment). */
    public static double[] features(Video v) {
        int n = v.frameCount();
        double sharp = 0, minSharp = Double.MAX_VALUE, noise = 0, maxBlock = 0;
        for (int f = 0; f < n; f++) {
            double s = FrameMetrics.sharpness(v, f);
            sharp += s / n;
            minSharp = Math.min(minSharp, s);
            noise += FrameMetrics.noiseLevel(v, f) / n;
            maxBlock = Math.max(maxBlock, FrameMetrics.blockiness(v, f, 4));
        }
        int moved = 0, frozenAfter = 0;
        for (int f = 1; f < n; f++) {
            double d = 0;
            float[] a = v.frameRgb(f - 1), b = v.frameRgb(f);
            for (int i = 0; i < a.length; i++) {
                d += Math.abs(a[i] - b[i]);
            }
            d /= a.length;
            if (d > 1e-3) {
                moved++;
            } else if (d < 1e-4 && moved > 0) {
                frozenAfter++;
            }
        }
        return new double[] {Math.log(sharp + 1e-4), Math.log(minSharp + 1e-4), noise, Math.log(maxBlock + 1e-3),
            FrameMetrics.flicker(v), n < 2 ? 0 : frozenAfter / (double) (n - 1)};
    }

    /** The score of a clip from its raw features. */
    public double score(double[] raw) {
        double s = bias;
        for (int i = 0; i < FEATURES; i++) {
            double z = (raw[i] - mean[i]) / std[i];
            z = Math.max(-8, Math.min(8, z));
            s += weights[i] * z + weights[FEATURES + i] * z * z / 8;
        }
        double p = 1 / (1 + Math.exp(-s));
        return Double.isFinite(p) ? p : 0;
    }

    /** The score of a clip. */
    public double score(Video v) {
        return score(features(v));
    }

    /**
     * Fits the score: standardises by the clean clips' statistics, then logistic regression (full-batch gradient
     * descent with a small L2 penalty) of clean (1) against corrupted (0).
     */
    static ArtifactScore fit(List<double[]> clean, List<double[]> corrupted, int iterations) {
        double[] mean = new double[FEATURES], std = new double[FEATURES];
        for (double[] f : clean) {
            for (int i = 0; i < FEATURES; i++) {
                mean[i] += f[i] / clean.size();
            }
        }
        for (double[] f : clean) {
            for (int i = 0; i < FEATURES; i++) {
                std[i] += (f[i] - mean[i]) * (f[i] - mean[i]) / clean.size();
            }
        }
        for (int i = 0; i < FEATURES; i++) {
            std[i] = Math.sqrt(std[i]) + 1e-3;
        }
        ArtifactScore a = new ArtifactScore(mean, std, new double[2 * FEATURES], 0);
        List<double[]> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (double[] f : clean) {
            xs.add(a.inputs(f));
            ys.add(1.0);
        }
        for (double[] f : corrupted) {
            xs.add(a.inputs(f));
            ys.add(0.0);
        }
        // class-balanced weights so the clean clips count as much as all corrupted ones together
        double wClean = 0.5 / clean.size(), wBad = 0.5 / corrupted.size();
        double lr = 0.3;
        for (int it = 0; it < iterations; it++) {
            double[] g = new double[2 * FEATURES];
            double gb = 0;
            for (int k = 0; k < xs.size(); k++) {
                double[] x = xs.get(k);
                double s = a.bias;
                for (int i = 0; i < x.length; i++) {
                    s += a.weights[i] * x[i];
                }
                double p = 1 / (1 + Math.exp(-s));
                double err = (p - ys.get(k)) * (ys.get(k) > 0.5 ? wClean : wBad);
                for (int i = 0; i < x.length; i++) {
                    g[i] += err * x[i];
                }
                gb += err;
            }
            for (int i = 0; i < g.length; i++) {
                a.weights[i] -= lr * (g[i] + 1e-3 * a.weights[i]);
            }
            a.bias -= lr * gb;
        }
        return a;
    }

    private double[] inputs(double[] raw) {
        double[] x = new double[2 * FEATURES];
        for (int i = 0; i < FEATURES; i++) {
            double z = Math.max(-8, Math.min(8, (raw[i] - mean[i]) / std[i]));
            x[i] = z;
            x[FEATURES + i] = z * z / 8;
        }
        return x;
    }
}
