package org.inflvg.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.inflvg.InfLVG;
import org.inflvg.TestModels;
import org.inflvg.reward.ColourJudges;
import org.inflvg.select.Selectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench base on a small random model with the colour judge: the table's structure and the judge's ceiling. */
class BaseModelEvaluationTest {

    @Test
    void reportsSingleScenesContinuationIdentityAndSwitches(@TempDir Path dir) {
        TestModels.saveRandom(dir);
        List<Integer> progress = new ArrayList<>();
        try (InfLVG lvg = InfLVG.load(dir)) {
            var judge = ColourJudges.colour(TestModels.SMALL.frameSize());
            var r = BaseModelEvaluation.run(lvg, judge, 4, 3, List.of(Selectors.none(), Selectors.full()), 0,
                    progress::add);
            assertEquals(List.of(1, 2, 3, 4), progress.subList(0, 4));
            assertTrue(r.groundTruth().identity() > 0.8, "a render is consistent with its own first chunk: "
                    + r.groundTruth().identity());
            assertTrue(Double.isNaN(r.quality().get(0).identity()), "from noise there is nothing to continue");
            double continued = r.quality().get(1).identity();
            assertTrue(continued >= 0 && continued <= 1, "continuation identity " + continued);
            assertTrue(continued < r.groundTruth().identity(), "a random model does not reach the renders' ceiling");
            assertEquals(List.of("none", "full"), r.switches().stream().map(s -> s.selector()).toList());
            for (var s : r.switches()) {
                assertEquals(3, s.cases());
                assertTrue(s.leak() >= 0 && s.leak() <= 1 && s.newBackground() >= 0 && s.newBackground() <= 1);
            }
            assertEquals(0.0, r.switches().get(0).leak(), "no context cannot leak the old background");
            assertTrue(r.table().contains("identity"), r.table());
        }
    }
}
