package org.inflvg.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import org.inflvg.InfLVG;
import org.inflvg.TestModels;
import org.inflvg.reward.HybridReward;
import org.inflvg.reward.RewardModels;
import org.inflvg.select.Selectors;
import org.inflvg.world.EpsGenerator;
import org.inflvg.world.Split;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The selector comparison on a small random model: shapes, paired differences and the interval arithmetic. */
class SelectorComparisonTest {

    @Test
    void intervalIsNinetyFivePercentOfTheMean() {
        double[] x = {1, 2, 3, 4};
        // sd = sqrt(5/3), se = sd / 2
        assertEquals(1.96 * Math.sqrt(5.0 / 3) / 2, SelectorComparison.ci95(x), 1e-12);
        assertEquals(0, SelectorComparison.ci95(new double[] {7}));
    }

    @Test
    void everySelectorIsScoredOnEverySetAndSeed(@TempDir Path dir) {
        TestModels.saveRandom(dir.resolve("tinydit"));
        try (InfLVG lvg = InfLVG.load(dir.resolve("tinydit"));
             RewardModels judge = RewardModels.create(NDManager.newBaseManager(), 3)) {
            var sets = EpsGenerator.generate(Split.VAL, 2, 3, 0);
            var r = SelectorComparison.run(lvg, new HybridReward(judge), sets, 3,
                    Selectors.parseList("full,none,full"), new long[] {0, 1}, i -> { });
            assertEquals(3, r.rows().size());
            assertEquals(4, r.rows().get(0).values().length);
            assertEquals(0, r.rows().get(0).deltaToFirst(), 1e-12);
            // the same selector with the same noise gives the same scenes and the same rewards
            assertArrayEquals(r.rows().get(0).values(), r.rows().get(2).values(), 1e-9);
            assertTrue(r.rows().get(1).values()[0] != r.rows().get(0).values()[0], "none and full differ");
            assertTrue(r.table().contains("vs full"), r.table());
            var e = assertThrows(IllegalArgumentException.class, () -> SelectorComparison.run(lvg,
                    new HybridReward(judge), List.of(), 2, Selectors.parseList("full"), new long[] {0}, i -> { }));
            assertTrue(e.getMessage().contains("prompt set"));
        }
    }
}
