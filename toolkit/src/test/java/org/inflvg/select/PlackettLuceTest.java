package org.inflvg.select;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PlackettLuceTest {

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
}
