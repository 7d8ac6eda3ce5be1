package org.inflvg.select;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

public class PlackettLuceTest {

    @Test
    void logProbMatchesHandComputedValue() {
        // p = softmax(log [1, 2, 3, 4]) = [0.1, 0.2, 0.3, 0.4]
        float[] logits = {(float) Math.log(1), (float) Math.log(2), (float) Math.log(3), (float) Math.log(4)};
        // draw 3 then 1: p3 / 1 * p1 / (1 - p3) = 0.4 * 0.2 / 0.6
        assertEquals(Math.log(0.4 * 0.2 / 0.6), PlackettLuce.logProb(logits, new int[] {3, 1}), 1e-6);
        // draw 0, 2, 1: 0.1 * 0.3/0.9 * 0.2/0.6
        assertEquals(Math.log(0.1 * (0.3 / 0.9) * (0.2 / 0.6)), PlackettLuce.logProb(logits, new int[] {0, 2, 1}), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> PlackettLuce.logProb(logits, new int[] {1, 1}));
    }

    @Test
    void orderedProbabilitiesOfAllDrawsSumToOne() {
        float[] logits = {0.3f, -1f, 2f, 0.5f};
        double sum = 0;
        for (int a = 0; a < 4; a++) {
            for (int b = 0; b < 4; b++) {
                if (a != b) {
                    sum += Math.exp(PlackettLuce.logProb(logits, new int[] {a, b}));
                }
            }
        }
        assertEquals(1.0, sum, 1e-9);
    }

    @Test
    void samplingFrequenciesMatchTheExactProbabilities() {
        float[] logits = {0f, 1f, 2f};
        Random r = new Random(1);
        Map<String, Integer> counts = new HashMap<>();
        int n = 60_000;
        for (int i = 0; i < n; i++) {
            int[] s = PlackettLuce.sample(logits, 2, r);
            counts.merge(s[0] + "," + s[1], 1, Integer::sum);
        }
        for (var e : counts.entrySet()) {
            String[] p = e.getKey().split(",");
            double exact = Math.exp(PlackettLuce.logProb(logits, new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])}));
            assertEquals(exact, e.getValue() / (double) n, 0.01, "draw " + e.getKey());
        }
        assertEquals(6, counts.size());
    }

    @Test
    void topKAndBudgetErrors() {
        assertArrayEquals(new int[] {2, 3}, PlackettLuce.topK(new float[] {0f, -1f, 5f, 3f}, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PlackettLuce.topK(new float[] {1f, 2f}, 3));
        assertTrue(e.getMessage().contains("[1, 2]"), e.getMessage());
        assertTrue(PlackettLuce.entropy(new float[] {0, 0, 0, 0}) > PlackettLuce.entropy(new float[] {9, 0, 0, 0}));
    }

    /**
     * An independent reference for the log-probability: the remaining mass before each draw is the log-sum-exp of the
     * logits not yet drawn (shifted by their own maximum), so no subtraction of nearly equal numbers appears.
     */
    public static double logSumExpReference(float[] logits, int[] chosen) {
        boolean[] taken = new boolean[logits.length];
        double all = logSumExp(logits, taken), lp = 0;
        for (int s : chosen) {
            lp += (logits[s] - all) - (logSumExp(logits, taken) - all);
            taken[s] = true;
        }
        return lp;
    }

    private static double logSumExp(float[] logits, boolean[] skip) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int i = 0; i < logits.length; i++) {
            if (!skip[i]) {
                max = Math.max(max, logits[i]);
            }
        }
        for (int i = 0; i < logits.length; i++) {
            if (!skip[i]) {
                sum += Math.exp(logits[i] - max);
            }
        }
        return max + Math.log(sum);
    }

    /**
     * A near-deterministic policy (a few candidates far above the rest, as after GRPO collapses onto a small support):
     * once the dominant candidates are drawn, the remaining mass is 1 minus a number close to 1, which loses every
     * digit if computed by subtraction. Sampling and the log-probability must still agree with the reference.
     */
    public static float[] peakedLogits(int m, Random r) {
        float[] logits = new float[m];
        for (int i = 0; i < m; i++) {
            logits[i] = (float) r.nextGaussian();
        }
        logits[7] = 40f;
        logits[m / 2] = 38f;
        logits[m - 3] = 37.5f;
        return logits;
    }

    @Test
    void logProbStaysExactOnANearDeterministicPolicy() {
        Random r = new Random(3);
        float[] logits = peakedLogits(2560, r);
        for (int t = 0; t < 5; t++) {
            int[] draw = PlackettLuce.sample(logits, 128, r);
            double ref = logSumExpReference(logits, draw);
            assertEquals(ref, PlackettLuce.logProb(logits, draw), 1e-9 * Math.abs(ref), "draw " + t);
        }
    }

    @Test
    void samplingOnANearDeterministicPolicyDrawsTheDominantCandidatesFirstThenTheRestByTheirOwnLogits() {
        Random r = new Random(5);
        float[] logits = peakedLogits(64, r);
        // after the three dominant candidates, the fourth draw follows softmax over the remaining 61
        
        boolean[] skip = new boolean[64];
        skip[7] = skip[32] = skip[61] = true;
        int n = 40_000;
        int[] counts = new int[64];
        for (int i = 0; i < n; i++) {
            int[] s = PlackettLuce.sample(logits, 4, r);
            counts[s[3]]++;
        }
        double lse = logSumExp(logits, skip);
        for (int j = 0; j < 64; j++) {
            if (!skip[j]) {
                double exact = Math.exp(logits[j] - lse);
                assertEquals(exact, counts[j] / (double) n, 4 * Math.sqrt(exact * (1 - exact) / n) + 1e-3, "candidate " + j);
            }
        }
    }
}
