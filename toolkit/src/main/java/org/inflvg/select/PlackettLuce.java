package org.inflvg.select;

import java.util.Arrays;
import java.util.Random;

/**
 * Top-K selection as an action (InfLVG): p = softmax(logits over candidates); K candidates are drawn one after another
 * without replacement (Plackett-Luce). The exact log-probability of the ordered draw is
 * {@code log pi = sum_i [ log p_{s_i} - log(1 - sum_{j<i} p_{s_j}) ]}. Evaluation takes the deterministic top-K.
 * This class is the reference implementation in double precision; the policy computes the same quantity with
 * gradients.
 */
public final class PlackettLuce {

    private PlackettLuce() {
    }

    /** Softmax of logits in double precision. */
    public static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /**
     * Draws K distinct candidates in order (sequential multinomial without replacement). The mass left before each draw
     * is summed afresh over the untaken candidates (a sum of positive numbers, never {@code 1 - drawn}, which loses
     * every digit once a near-deterministic policy's dominant candidates are drawn); when that mass underflows, the
     * weights are rescaled by the largest untaken logit.
     */
    public static int[] sample(float[] logits, int k, Random rnd) {
        checkK(k, logits.length);
        double[] p = softmax(logits);
        boolean[] taken = new boolean[p.length];
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            double remaining = 0;
            for (int j = 0; j < p.length; j++) {
                if (!taken[j]) {
                    remaining += p[j];
                }
            }
            if (remaining < 1e-250) {
                remaining = rescale(logits, taken, p);
            }
            double u = rnd.nextDouble() * remaining, acc = 0;
            int pick = -1;
            for (int j = 0; j < p.length; j++) {
                if (taken[j]) {
                    continue;
                }
                acc += p[j];
                pick = j;
                if (acc > u) {
                    break;
                }
            }
            taken[pick] = true;
            out[i] = pick;
        }
        return out;
    }

    /** Weights exp(logit - max untaken logit) for the untaken candidates; returns their sum (at least 1). */
    private static double rescale(float[] logits, boolean[] taken, double[] p) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < logits.length; j++) {
            if (!taken[j]) {
                max = Math.max(max, logits[j]);
            }
        }
        for (int j = 0; j < logits.length; j++) {
            p[j] = taken[j] ? 0 : Math.exp(logits[j] - max);
            sum += p[j];
        }
        return sum;
    }

    /**
     * Exact log-probability of the ordered draw {@code chosen}. Written as {@code sum_i [x_{s_i} - LSE(R_i)]}, where
     * R_i is the set of candidates not drawn before step i and LSE the log-sum-exp of their logits (the softmax's
     * normaliser cancels). LSE(R_i) is built from the last draw backwards, {@code LSE(R_i) = logaddexp(x_{s_i},
     * LSE(R_{i+1}))}, starting from the candidates never drawn: no subtraction, so it stays exact when the policy is
     * near-deterministic.
     */
    public static double logProb(float[] logits, int[] chosen) {
        boolean[] seen = new boolean[logits.length];
        for (int s : chosen) {
            if (seen[s]) {
                throw new IllegalArgumentException("candidate " + s + " drawn twice: draws are without replacement");
            }
            seen[s] = true;
        }
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < logits.length; j++) {
            if (!seen[j]) {
                max = Math.max(max, logits[j]);
            }
        }
        for (int j = 0; j < logits.length; j++) {
            if (!seen[j]) {
                sum += Math.exp(logits[j] - max);
            }
        }
        double rest = sum > 0 ? max + Math.log(sum) : Double.NEGATIVE_INFINITY; // LSE of the never-drawn candidates
        double lp = 0;
        for (int i = chosen.length - 1; i >= 0; i--) {
            rest = logAddExp(logits[chosen[i]], rest);
            lp += logits[chosen[i]] - rest;
        }
        return lp;
    }

    /** log(exp(a) + exp(b)), exact for any magnitudes (b may be negative infinity). */
    static double logAddExp(double a, double b) {
        double hi = Math.max(a, b), lo = Math.min(a, b);
        return lo == Double.NEGATIVE_INFINITY ? hi : hi + Math.log1p(Math.exp(lo - hi));
    }

    /** The K highest logits, in descending order of logit (ties by index). */
    public static int[] topK(float[] logits, int k) {
        checkK(k, logits.length);
        Integer[] idx = new Integer[logits.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : Integer.compare(a, b));
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = idx[i];
        }
        return out;
    }

    /** Entropy of the softmax (nats): how spread the policy is over candidates. */
    public static double entropy(float[] logits) {
        double h = 0;
        for (double q : softmax(logits)) {
            if (q > 0) {
                h -= q * Math.log(q);
            }
        }
        return h;
    }

    static void checkK(int k, int candidates) {
        if (k < 1 || k > candidates) {
            throw new IllegalArgumentException("K must be in [1, " + candidates + "] (there are " + candidates
                    + " candidate tokens), got " + k);
        }
    }
}
