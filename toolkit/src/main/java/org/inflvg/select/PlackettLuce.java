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

    /** Draws K distinct candidates in order (sequential multinomial without replacement). */
    public static int[] sample(float[] logits, int k, Random rnd) {
        checkK(k, logits.length);
        double[] p = softmax(logits);
        boolean[] taken = new boolean[p.length];
        int[] out = new int[k];
        double remaining = 1.0;
        for (int i = 0; i < k; i++) {
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
            remaining -= p[pick];
            if (remaining <= 0) { // numerical underflow: recompute from the untaken mass
                remaining = 0;
                for (int j = 0; j < p.length; j++) {
                    if (!taken[j]) {
                        remaining += p[j];
                    }
                }
            }
        }
        return out;
    }

    /** Exact log-probability of the ordered draw {@code chosen}. */
    public static double logProb(float[] logits, int[] chosen) {
        double[] p = softmax(logits);
        double lp = 0, used = 0;
        boolean[] seen = new boolean[p.length];
        for (int s : chosen) {
            if (seen[s]) {
                throw new IllegalArgumentException("candidate " + s + " drawn twice: draws are without replacement");
            }
            seen[s] = true;
            lp += Math.log(p[s]) - Math.log(Math.max(1e-300, 1 - used));
            used += p[s];
        }
        return lp;
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
