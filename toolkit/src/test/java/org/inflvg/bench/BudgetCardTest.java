package org.inflvg.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.inflvg.InfLVG;
import org.inflvg.TestModels;
import org.inflvg.reward.HybridReward;
import org.inflvg.reward.RewardModels;
import org.inflvg.world.Eps;
import org.inflvg.world.Split;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The budget card on a small random model: one row per budget and switch kind, the kept counts, the outputs. */
class BudgetCardTest {

    @Test
    void sweepsTheBudgetAndSplitsBySwitchKind(@TempDir Path dir) throws Exception {
        TestModels.saveRandom(dir.resolve("tinydit"));
        // scene 0 -> 1 changes the background only, 1 -> 2 changes the action only
        Eps eps = new Eps(0, List.of("A cat jumps on the beach", "A cat jumps in space", "A cat spins in space"), 3,
                Split.VAL);
        try (InfLVG lvg = InfLVG.load(dir.resolve("tinydit"));
             RewardModels judge = RewardModels.create(NDManager.newBaseManager(), 1)) {
            BudgetCard card = BudgetCard.run(lvg, new HybridReward(judge), List.of(eps), "random",
                    new int[] {16, Integer.MAX_VALUE}, new long[] {0}, i -> { });
            var t = card.table();
            assertEquals(2 * 3, t.rowCount(), t.print()); // per budget: all, background changes, action changes
            assertEquals(16, t.intColumn("kept").get(0));
            assertEquals(2, t.intColumn("n").get(0));
            assertTrue(t.stringColumn("switch").asList().containsAll(List.of("all", "background changes", "action changes")));
            // full context keeps the whole history: more than the budget, growing with the scene
            assertTrue(t.intColumn("kept").get(3) > 16, t.print());
            card.write(dir.resolve("card"));
            assertTrue(Files.size(dir.resolve("card/budget-hybrid.png")) > 1000);
            assertTrue(Files.readString(dir.resolve("card/budget.md")).contains("| budget | switch |"));
            var e = assertThrows(IllegalArgumentException.class, () -> BudgetCard.run(lvg, new HybridReward(judge),
                    List.of(eps), "window", new int[] {16}, new long[] {0}, i -> { }));
            assertTrue(e.getMessage().contains("policy, random, attention, text"), e.getMessage());
        }
    }
}
