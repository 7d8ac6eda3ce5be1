package org.inflvg.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.inflvg.InfLVG;
import org.inflvg.TestModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

/** CsVBench end to end on the small random model: resume, shards and merge, outputs, refusals. */
class CsvBenchTest {

    @TempDir
    static Path dir;
    static InfLVG lvg;
    static CsvResults single;
    static final AtomicLong scenesGenerated = new AtomicLong();

    static CsVBench bench() {
        return CsVBench.of(lvg).sets(2).scenes(3).selectors("full", "none", "window:1").seeds(0, 1);
    }

    @BeforeAll
    static void runOnce() {
        TestModels.saveRandom(dir.resolve("model"));
        lvg = InfLVG.load(dir.resolve("model"));
        single = bench().out(dir.resolve("single")).progress((d, t, c) -> scenesGenerated.incrementAndGet()).run();
    }

    @AfterAll
    static void close() {
        lvg.close();
    }

    @Test
    void tableHasOneRowPerSceneAndTransitionMetricsFromSceneTwo() {
        assertEquals(12, single.cells());
        assertEquals(12, single.generated());
        assertEquals(12 * 3, scenesGenerated.get());
        Table t = single.table();
        assertEquals(12 * 3, t.rowCount());
        Table first = t.where(t.intColumn("scene").isEqualTo(1));
        Table later = t.where(t.intColumn("scene").isGreaterThan(1));
        assertEquals(first.rowCount(), first.doubleColumn("identity").countMissing());
        assertEquals(0, later.doubleColumn("identity").countMissing());
        assertEquals(0, later.doubleColumn("hybrid").countMissing());
        assertEquals(first.rowCount(), first.doubleColumn("leakage").countMissing());
        // kept tokens: none keeps 0; full keeps the whole history (scene s: (s - 1) scenes of tokens)
        int perScene = TestModels.SMALL.tokensPerChunk() * TestModels.SMALL.chunksPerScene();
        Table full3 = t.where(t.stringColumn("selector").isEqualTo("full").and(t.intColumn("scene").isEqualTo(3)));
        assertEquals(2.0 * perScene, full3.doubleColumn("kept_tokens").get(0));
        Table none = t.where(t.stringColumn("selector").isEqualTo("none"));
        assertEquals(0, none.doubleColumn("kept_tokens").max());
        for (String c : List.of("alignment", "identity", "subject_consistency", "background_consistency", "artifact")) {
            assertTrue(t.doubleColumn(c).min() >= 0 && t.doubleColumn(c).max() <= 1 + 1e-9, c);
        }
        assertEquals(3, single.summary().rowCount());
        assertEquals(List.of("full", "none", "window:1"), single.summary().stringColumn("selector").asList());
    }

    @Test
    void rerunSkipsFinishedCellsAndRunsOnlyWhatIsMissing() throws Exception {
        Path out = dir.resolve("resume");
        AtomicLong scenes = new AtomicLong();
        CsVBench b = bench().selectors("full", "none").out(out).samples(0)
                .progress((d, t, c) -> scenes.incrementAndGet());
        CsvResults first = b.run();
        assertEquals(8, first.generated());
        assertEquals(8 * 3, scenes.get());
        CsvResults again = b.run();
        assertEquals(0, again.generated(), "a finished folder must generate nothing");
        assertEquals(8, again.skipped());
        assertEquals(8 * 3, scenes.get());
        // an interrupted run: the last cell's line was cut short, another cell is missing
        Path cells = out.resolve("cells.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(cells));
        lines.remove(2);
        String last = lines.remove(lines.size() - 1);
        lines.add(last.substring(0, last.length() / 2));
        Files.write(cells, lines);
        CsvResults resumed = b.run();
        assertEquals(2, resumed.generated());
        assertEquals(6, resumed.skipped());
        assertEquals(8 * 3 + 2 * 3, scenes.get());
        assertSameTable(reproducible(first.table()), reproducible(resumed.table()));
        // more selectors in the same folder: only the new ones run
        CsvResults more = bench().out(out).samples(0).run();
        assertEquals(4, more.generated());
        assertEquals(12, more.cells());
    }

    @Test
    void twoShardsMergedEqualOneRun() throws Exception {
        CsvResults s0 = bench().out(dir.resolve("shard-0")).shard(0, 2).run();
        CsvResults s1 = bench().out(dir.resolve("shard-1")).shard(1, 2).run();
        assertEquals(6, s0.cells());
        assertEquals(6, s1.cells());
        assertTrue(s0.complete() && s1.complete(), "each shard holds its share: " + s0.expectedCells());
        CsvResults half = CsvResults.merge(List.of(dir.resolve("shard-0")), dir.resolve("half"), "test");
        assertEquals(12, half.expectedCells());
        assertTrue(!half.complete() && Files.readString(dir.resolve("half/report.md")).contains("Incomplete: 6 of 12"));
        assertTrue(s0.table().intColumn("cell").asList().stream().allMatch(c -> c % 2 == 0));
        CsvResults merged = CsvResults.merge(List.of(dir.resolve("shard-0"), dir.resolve("shard-1")), dir.resolve("merged"),
                "test");
        assertSameTable(reproducible(single.table()), reproducible(merged.table()));
        assertSameTable(reproducible(single.table()), reproducible(CsvResults.load(dir.resolve("merged")).table()));
        Table a = single.summary(), b = merged.summary();
        for (String c : a.columnNames()) {
            if (!c.startsWith("ms_per_chunk")) {
                assertEquals(a.column(c).asList(), b.column(c).asList(), c);
            }
        }
        assertTrue(Files.isRegularFile(dir.resolve("merged/report.md")));
        try (Stream<Path> v = Files.list(dir.resolve("merged/videos"))) {
            assertEquals(6, v.count(), "2 sample videos per selector, copied from both shards");
        }
        // shards of another configuration (here: other seeds) do not merge
        Path other = Files.createDirectories(dir.resolve("other"));
        ObjectMapper json = new ObjectMapper();
        var info = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(dir.resolve("shard-1/run.json").toFile());
        info.putArray("seeds").add(5);
        json.writeValue(other.resolve("run.json").toFile(), info);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CsvResults.merge(
                List.of(dir.resolve("shard-0"), other), dir.resolve("bad"), "test"));
        assertTrue(e.getMessage().contains("different configurations"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CsvResults.merge(List.of(dir.resolve("nothing")),
                dir.resolve("bad"), "test"));
    }

    @Test
    void outputsExistAndParse() throws Exception {
        Path out = dir.resolve("single");
        for (String f : List.of("cells.jsonl", "run.json", "results.csv", "results.json", "results.html", "summary.csv",
                "summary.json", "summary.html", "by-scene.csv", "report.md", "plots/summary-quality.png",
                "plots/summary-hybrid.png", "plots/scene-identity.png", "plots/scene-leakage.png",
                "videos/full-set0.gif", "videos/window-1-set1.gif")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        Table csv = Table.read().csv(out.resolve("results.csv").toFile());
        assertEquals(36, csv.rowCount());
        assertEquals(single.table().columnCount(), csv.columnCount());
        JsonNode json = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        assertEquals(3, json.size());
        assertEquals("full", json.get(0).get("selector").asText());
        assertTrue(json.get(0).get("identity_mean").isNumber());
        assertEquals(36, new ObjectMapper().readTree(out.resolve("results.json").toFile()).size());
        assertTrue(javax.imageio.ImageIO.read(out.resolve("plots/summary-quality.png").toFile()).getWidth() > 100);
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains(lvg.checksum()), "provenance names the model checksum");
        assertTrue(report.contains("| `window:1` |") && report.contains("plots/scene-identity.png"), report);
        assertTrue(Files.readString(out.resolve("results.html")).contains("<table"));
    }

    @Test
    void theLearnedRewardModelsPlugInAsTheJudge() {
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager();
             org.inflvg.reward.RewardModels rewards = org.inflvg.reward.RewardModels.create(m, 0)) {
            CsvResults r = CsVBench.of(lvg).sets(1).scenes(2).selectors("full").judge(rewards).run();
            assertEquals(1, r.cells());
            assertEquals(0, r.table().doubleColumn("alignment").countMissing());
            assertTrue(r.info().judge().startsWith("RewardModels"), r.info().judge());
        }
    }

    @Test
    void refusesToMixRuns() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bench().scenes(2).out(dir.resolve("single")).run());
        assertTrue(e.getMessage().contains("another --out"), e.getMessage());
        lvg.sampling(new org.inflvg.model.Sampling(null, 2.0)); // the same cells, sampled with guidance: not one run
        try {
            IllegalArgumentException g = assertThrows(IllegalArgumentException.class,
                    () -> bench().out(dir.resolve("single")).run());
            assertTrue(g.getMessage().contains("sampled with 2 Euler steps, guidance 1.0")
                    && g.getMessage().contains("guidance 2.0") && g.getMessage().contains("--guidance"), g.getMessage());
        } finally {
            lvg.sampling(org.inflvg.model.Sampling.MODEL);
        }
        assertThrows(IllegalArgumentException.class, () -> bench().scenes(1));
        assertThrows(IllegalArgumentException.class, () -> bench().scenes(10));
        assertThrows(IllegalArgumentException.class, () -> bench().shard(2, 2));
        assertThrows(IllegalArgumentException.class, () -> bench().selectors("full", "best"));
    }

    static void assertSameTable(Table a, Table b) {
        assertEquals(a.columnNames(), b.columnNames());
        assertEquals(a.rowCount(), b.rowCount());
        for (String c : a.columnNames()) {
            assertEquals(a.column(c).asList(), b.column(c).asList(), c);
        }
    }

    /** The table without wall-time columns: what two runs with the same seeds must agree on. */
    static Table reproducible(Table t) {
        Table c = t.copy();
        for (CsvMetric m : CsvMetric.values()) {
            if (!m.reproducible()) {
                c.removeColumns(m.column());
            }
        }
        return c.sortAscendingOn("cell", "scene");
    }
}
