package org.inflvg.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.inflvg.reward.ColourJudges;
import org.inflvg.reward.Judge;
import org.inflvg.video.Video;
import org.inflvg.world.Background;
import org.inflvg.world.Identity;
import org.inflvg.world.Prompt;
import org.inflvg.world.SpriteWorld;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

/** CsVBench's formulas against hand-built clips and hand-computed numbers. */
class CsvBenchMetricsTest {

    static final SpriteWorld WORLD = SpriteWorld.standard();
    static final Judge JUDGE = ColourJudges.colour(32);

    @Test
    void aSceneShowingThePreviousBackgroundLeaks() {
        Prompt before = Prompt.parse("A robot jumps on the beach"), now = Prompt.parse("A robot walks left in the forest");
        Identity id = new Identity(17);
        Video correct = WORLD.render(now, id, 3).video();
        Video leaked = WORLD.render(now.withBackground(before.background()), id, 3).video();
        Video half = correct.frames(0, 4).concat(leaked.frames(4, 8));
        int beach = Background.BEACH.ordinal();
        double lc = SceneMetrics.leakage(SceneMetrics.frameBackgrounds(JUDGE, correct), beach);
        double ll = SceneMetrics.leakage(SceneMetrics.frameBackgrounds(JUDGE, leaked), beach);
        double lh = SceneMetrics.leakage(SceneMetrics.frameBackgrounds(JUDGE, half), beach);
        assertTrue(lc < 0.05 && ll > 0.9, "correct " + lc + ", leaked " + ll);
        assertEquals((lc + ll) / 2, lh, 1e-9, "leakage is a mean over frames");
        // background consistency: 1 on a steady scene, drops by about 1/7 with one switch among 7 frame pairs
        double steady = SceneMetrics.backgroundConsistency(SceneMetrics.frameBackgrounds(JUDGE, correct));
        double switched = SceneMetrics.backgroundConsistency(SceneMetrics.frameBackgrounds(JUDGE, half));
        assertTrue(steady > 0.95, "steady " + steady);
        assertTrue(switched < steady - 0.1, "switched " + switched);
        assertTrue(JUDGE.alignment(correct, now) > JUDGE.alignment(leaked, now) + 0.3);
    }

    @Test
    void backgroundConsistencyByHand() {
        double[][] p = {{1, 0, 0}, {0.5, 0.5, 0}, {0.5, 0.5, 0}};
        // pairs: 1 - ½ (0.5 + 0.5) = 0.5, then 1
        assertEquals(0.75, SceneMetrics.backgroundConsistency(p), 1e-12);
        assertEquals(0.5, SceneMetrics.leakage(p, 1) * 3 / 2, 1e-12);
    }

    static Cell cell(int index, String selector, double... alignmentsThenIdentity) {
        // scene 1 has alignment only; scene 2 alignment and identity
        List<Map<String, Double>> scenes = new ArrayList<>();
        Map<String, Double> s1 = new HashMap<>(), s2 = new HashMap<>();
        s1.put("alignment", alignmentsThenIdentity[0]);
        s1.put("identity", null);
        s2.put("alignment", alignmentsThenIdentity[1]);
        s2.put("identity", alignmentsThenIdentity[2]);
        scenes.add(s1);
        scenes.add(s2);
        return new Cell(index, index, index, selector, 0, -1, List.of("A robot jumps on the beach",
                "A robot walks left in the forest"), scenes, 1, null);
    }

    @Test
    void summaryIsMeanAndCiOverCellsByHand() {
        RunInfo info = new RunInfo("inflvg", "0", "t", "test", "m", "0".repeat(64), "j", 2, 3, List.of(0L),
                List.of("a", "b"), "p", "x", List.of(1.0, 1.0, 1.0), "0/1", List.of(), "17", 2, null);
        List<Cell> cells = List.of(cell(0, "a", 0.2, 0.4, 0.9), cell(1, "a", 0.4, 0.6, 0.6), cell(2, "a", 0.6, 0.8, 0.3),
                cell(3, "b", 0.1, 0.1, 0.5));
        Table s = new CsvResults(info, cells, 4, 0).summary();
        // a: cell means of alignment 0.3, 0.5, 0.7 -> mean 0.5, sd 0.2, ci 1.96 * 0.2 / sqrt(3) = 0.2263213
        assertEquals(0.5, s.doubleColumn("alignment_mean").get(0), 1e-12);
        assertEquals(0.2263213, s.doubleColumn("alignment_ci95").get(0), 1e-7);
        // identity on scene 2 only: 0.9, 0.6, 0.3 -> mean 0.6, sd 0.3, ci 1.96 * 0.3 / sqrt(3) = 0.3394820
        assertEquals(0.6, s.doubleColumn("identity_mean").get(0), 1e-12);
        assertEquals(0.3394820, s.doubleColumn("identity_ci95").get(0), 1e-7);
        // b: one cell -> its mean, no interval
        assertEquals(0.1, s.doubleColumn("alignment_mean").get(1), 1e-12);
        assertTrue(s.doubleColumn("alignment_ci95").isMissing(1));
        assertEquals(List.of(3, 1), s.intColumn("cells").asList());
        // a metric no cell has is missing, not zero
        assertTrue(s.doubleColumn("leakage_mean").isMissing(0));
        assertEquals(0.3, CsvResults.cellMean(cells.get(0), CsvMetric.ALIGNMENT), 1e-12);
    }
}
