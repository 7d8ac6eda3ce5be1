package org.inflvg.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * The results of a CsVBench run: the per-scene table (one row per set x selector x seed x scene), the per-selector
 * summary (mean and 95 % interval of every metric), the length-extension table (mean per selector and scene index),
 * and the provenance. {@link #write} renders them all into a folder; {@link #load} and {@link #merge} read folders back.
 *
 * <p><b>Summary statistics.</b> A story's scenes are not independent samples, so each cell (one story) is first reduced
 * to the mean of its scene values for a metric (ignoring scenes where the metric does not apply); over the {@code n}
 * cells of a selector with a value, the summary gives {@code mean} and the 95 % half-width
 * {@code ci95 = 1.96 * sd / sqrt(n)}, {@code sd} the sample standard deviation (n - 1); ci95 is missing when n < 2.
 */
public final class CsvResults {

    private final RunInfo info;
    private final List<Cell> cells;
    private final int generated, skipped;
    private Table table, summary, byScene;

    CsvResults(RunInfo info, List<Cell> cells, int generated, int skipped) {
        this.info = info;
        List<Cell> sorted = new ArrayList<>(cells);
        sorted.sort(Comparator.comparingInt(Cell::cell));
        this.cells = List.copyOf(sorted);
        this.generated = generated;
        this.skipped = skipped;
    }

    /** Provenance: model checksum, judge, seeds, selectors, command. */
    public RunInfo info() {
        return info;
    }

    /** Cells this run generated. */
    public int generated() {
        return generated;
    }

    /** Cells found finished in the output folder and not generated again. */
    public int skipped() {
        return skipped;
    }

    /** Number of cells (stories) in the results. */
    public int cells() {
        return cells.size();
    }

    /**
     * Cells the configuration asks for: sets x selectors x seeds (a shard's share when this is one shard). Fewer
     * {@link #cells()} than this means unfinished cells or missing shards.
     */
    public int expectedCells() {
        int all = info.sets() * info.selectors().size() * info.seeds().size();
        String[] sh = info.shard().split("/");
        if (sh.length == 2) {
            int i = Integer.parseInt(sh[0]), n = Integer.parseInt(sh[1]);
            return (all - i + n - 1) / n; // indices i, i + n, ... below all
        }
        return all;
    }

    /** Whether every expected cell is there. */
    public boolean complete() {
        return cells.size() >= expectedCells();
    }

    /** One row per set x selector x seed x scene: the cell's keys, the scene (1-based), its prompt and every metric. */
    public Table table() {
        if (table == null) {
            IntColumn cell = IntColumn.create("cell"), set = IntColumn.create("set"), eps = IntColumn.create("eps"),
                    individual = IntColumn.create("individual"), scene = IntColumn.create("scene");
            StringColumn selector = StringColumn.create("selector"), prompt = StringColumn.create("prompt");
            LongColumn seed = LongColumn.create("seed");
            Map<CsvMetric, DoubleColumn> metrics = new LinkedHashMap<>();
            for (CsvMetric m : CsvMetric.values()) {
                metrics.put(m, DoubleColumn.create(m.column()));
            }
            for (Cell c : cells) {
                for (int s = 0; s < c.scenes().size(); s++) {
                    cell.append(c.cell());
                    set.append(c.set());
                    eps.append(c.eps());
                    selector.append(c.selector());
                    seed.append(c.seed());
                    individual.append(c.identity());
                    scene.append(s + 1);
                    prompt.append(c.prompts().get(s));
                    Map<String, Double> v = c.scenes().get(s);
                    metrics.forEach((m, col) -> {
                        Double x = v.get(m.column());
                        col.append(x == null ? Double.NaN : x);
                    });
                }
            }
            table = Table.create("CsVBench results", cell, set, eps, selector, seed, individual, scene, prompt);
            metrics.values().forEach(table::addColumns);
        }
        return table;
    }

    /** Mean and 95 % half-width of a sample; {@code [n, mean, ci95]} with NaN where undefined (see the class doc). */
    static double[] meanCi(List<Double> xs) {
        int n = xs.size();
        if (n == 0) {
            return new double[] {0, Double.NaN, Double.NaN};
        }
        double mean = xs.stream().mapToDouble(Double::doubleValue).sum() / n;
        if (n < 2) {
            return new double[] {1, mean, Double.NaN};
        }
        double ss = xs.stream().mapToDouble(x -> (x - mean) * (x - mean)).sum();
        return new double[] {n, mean, 1.96 * Math.sqrt(ss / (n - 1)) / Math.sqrt(n)};
    }

    /** A cell's mean of a metric over the scenes where it applies, or null when it applies to none. */
    static Double cellMean(Cell c, CsvMetric m) {
        double s = 0;
        int n = 0;
        for (Map<String, Double> v : c.scenes()) {
            Double x = v.get(m.column());
            if (x != null) {
                s += x;
                n++;
            }
        }
        return n == 0 ? null : s / n;
    }

    /**
     * Per selector (in the run's order): the number of cells and, per metric, {@code <metric>_mean} and
     * {@code <metric>_ci95} over cells (see the class doc).
     */
    public Table summary() {
        if (summary == null) {
            StringColumn selector = StringColumn.create("selector");
            IntColumn n = IntColumn.create("cells");
            Map<String, DoubleColumn> cols = new LinkedHashMap<>();
            for (CsvMetric m : CsvMetric.values()) {
                cols.put(m.column() + "_mean", DoubleColumn.create(m.column() + "_mean"));
                cols.put(m.column() + "_ci95", DoubleColumn.create(m.column() + "_ci95"));
            }
            for (String sel : selectors()) {
                List<Cell> mine = cells.stream().filter(c -> c.selector().equals(sel)).toList();
                selector.append(sel);
                n.append(mine.size());
                for (CsvMetric m : CsvMetric.values()) {
                    List<Double> xs = mine.stream().map(c -> cellMean(c, m)).filter(java.util.Objects::nonNull).toList();
                    double[] st = meanCi(xs);
                    cols.get(m.column() + "_mean").append(st[1]);
                    cols.get(m.column() + "_ci95").append(st[2]);
                }
            }
            summary = Table.create("CsVBench summary", selector, n);
            cols.values().forEach(summary::addColumns);
        }
        return summary;
    }

    /** The length-extension view: per selector and scene index, the number of cells and each metric's mean. */
    public Table byScene() {
        if (byScene == null) {
            StringColumn selector = StringColumn.create("selector");
            IntColumn scene = IntColumn.create("scene"), n = IntColumn.create("cells");
            Map<CsvMetric, DoubleColumn> cols = new LinkedHashMap<>();
            for (CsvMetric m : CsvMetric.values()) {
                cols.put(m, DoubleColumn.create(m.column()));
            }
            for (String sel : selectors()) {
                List<Cell> mine = cells.stream().filter(c -> c.selector().equals(sel)).toList();
                for (int s = 0; s < info.scenes(); s++) {
                    final int at = s;
                    selector.append(sel);
                    scene.append(s + 1);
                    n.append((int) mine.stream().filter(c -> c.scenes().size() > at).count());
                    cols.forEach((m, col) -> {
                        List<Double> xs = mine.stream().filter(c -> c.scenes().size() > at)
                                .map(c -> c.scenes().get(at).get(m.column())).filter(java.util.Objects::nonNull).toList();
                        col.append(meanCi(xs)[1]);
                    });
                }
            }
            byScene = Table.create("CsVBench by scene", selector, scene, n);
            cols.values().forEach(byScene::addColumns);
        }
        return byScene;
    }

    /** The run's selectors, then any others found in the cells (a resumed folder may hold more). */
    List<String> selectors() {
        List<String> out = new ArrayList<>(info.selectors());
        for (Cell c : cells) {
            if (!out.contains(c.selector())) {
                out.add(c.selector());
            }
        }
        return out.stream().filter(s -> cells.stream().anyMatch(c -> c.selector().equals(s))).toList();
    }

    List<Cell> cellList() {
        return cells;
    }

    /**
     * Writes {@code results.csv/.json/.html}, {@code summary.csv/.json/.html}, {@code by-scene.csv}, the plots under
     * {@code plots/} and {@code report.md} into {@code dir} (the cells and videos are written by the run itself).
     */
    public void write(Path dir) {
        CsvOutputs.write(this, dir);
    }

    /** The summary as a Markdown table: mean ± ci95 of the main metrics per selector. */
    public String markdown() {
        return CsvOutputs.markdown(this);
    }

    /** Reads a run folder ({@code run.json} + {@code cells.jsonl}). */
    public static CsvResults load(Path dir) {
        RunInfo info = CellStore.readInfo(dir);
        return new CsvResults(info, new ArrayList<>(CellStore.read(dir.resolve(CellStore.CELLS)).values()), 0, 0);
    }

    /**
     * Merges shard folders of one configuration into {@code out}: their cells (a cell found twice is kept once), their
     * sample videos, and every table, plot and report, as one run over all cells would write them.
     */
    public static CsvResults merge(List<Path> dirs, Path out, String command) {
        if (dirs.isEmpty()) {
            throw new IllegalArgumentException("merge needs at least one run folder");
        }
        RunInfo first = null;
        Map<String, Cell> all = new LinkedHashMap<>();
        List<String> from = new ArrayList<>();
        for (Path d : dirs) {
            RunInfo i = CellStore.readInfo(d);
            if (first == null) {
                first = i;
            } else if (!first.cellsKey().equals(i.cellsKey()) || !first.sameSampling(i)) {
                throw new IllegalArgumentException("cannot merge " + d + " with " + dirs.get(0) + ": they are runs of "
                        + "different configurations (model, sampling, judge, scenes, weights, prompt sets, seeds or selectors "
                        + "differ); merge only shards of one 'bench csv' command");
            }
            from.add(d.toString());
            all.putAll(CellStore.read(d.resolve(CellStore.CELLS)));
        }
        CsvResults r = new CsvResults(first.merged(java.time.Instant.now().toString(), command, from),
                new ArrayList<>(all.values()), 0, 0);
        try {
            Files.createDirectories(out);
            Path cellsTmp = Files.createTempFile(out, ".cells", ".tmp");
            StringBuilder sb = new StringBuilder();
            for (Cell c : r.cells) {
                sb.append(CellStore.JSON.writeValueAsString(c)).append('\n');
            }
            Files.writeString(cellsTmp, sb);
            CellStore.readable(cellsTmp);
            Files.move(cellsTmp, out.resolve(CellStore.CELLS), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            for (Path d : dirs) {
                for (Cell c : r.cells) {
                    if (c.sample() != null && Files.isRegularFile(d.resolve(c.sample()))
                            && !d.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
                        Files.createDirectories(out.resolve(c.sample()).getParent());
                        Files.copy(d.resolve(c.sample()), out.resolve(c.sample()), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the merged cells to " + out, e);
        }
        CellStore.writeInfo(out, r.info);
        r.write(out);
        return r;
    }

    @Override
    public String toString() {
        return "CsvResults[" + cells.size() + (complete() ? "" : " of " + expectedCells()) + " cells (" + generated + " generated, " + skipped + " resumed), "
                + info.scenes() + " scenes, selectors " + selectors() + ", model " + info.modelSha256().substring(0, 12)
                + "]";
    }
}
