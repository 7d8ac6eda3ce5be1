package org.inflvg.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AdvantageTest {

    @Test
    void handComputedGroup() {
        // mean 2, population std sqrt(2/3)
        double s = Math.sqrt(2.0 / 3) + Advantage.EPS;
        assertArrayEquals(new double[] {-1 / s, 0, 1 / s}, Advantage.of(new double[] {1, 2, 3}), 1e-9);
    }

    @Test
    void equalRewardsGiveZeroNotNaN() {
        assertArrayEquals(new double[] {0, 0, 0}, Advantage.of(new double[] {0.7, 0.7, 0.7}), 0);
        assertTrue(Advantage.zeroSpread(new double[] {0.7, 0.7}));
        assertThrows(IllegalArgumentException.class, () -> Advantage.of(new double[] {1, Double.NaN}));
    }
}
