package org.inflvg.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import tech.tablesaw.api.ColumnType;
import tech.tablesaw.api.Row;
import tech.tablesaw.api.Table;
import tech.tablesaw.io.html.HtmlWriteOptions;
import tech.tablesaw.io.html.HtmlWriter;

/** Renders {@link CsvResults} into a folder: tables as CSV, JSON and HTML, XChart plots, and report.md. */
final class CsvOutputs {

    static final String PLOTS = "plots";
    /** Metrics shown in the Markdown summary (the rest are in summary.csv). */
    static final List<CsvMetric> HEADLINE = List.of(CsvMetric.IDENTITY, CsvMetric.ALIGNMENT, CsvMetric.LEAKAGE,
            CsvMetric.ARTIFACT, CsvMetric.HYBRID, CsvMetric.BACKGROUND_CONSISTENCY, CsvMetric.SUBJECT_CONSISTENCY,
            CsvMetric.FLICKER, CsvMetric.KEPT_TOKENS, CsvMetric.MS_PER_CHUNK);

    private CsvOutputs() {
    }

    static void write(CsvResults r, Path dir) {
        try {
            Files.createDirectories(dir.resolve(PLOTS));
            writeTable(r.table(), dir, "results");
            writeTable(r.summary(), dir, "summary");
            r.byScene().write().csv(dir.resolve("by-scene.csv").toFile());
            List<String> plots = plots(r, dir.resolve(PLOTS));
            CellStore.writeText(dir.resolve("report.md"), report(r, plots));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the CsVBench outputs to " + dir, e);
        }
    }

    private static void writeTable(Table t, Path dir, String name) throws IOException {
        t.write().csv(dir.resolve(name + ".csv").toFile());
        CellStore.writeJson(dir.resolve(name + ".json"), rows(t));
        new HtmlWriter().write(t, HtmlWriteOptions.builder(dir.resolve(name + ".html").toFile()).build());
    }

    /** Rows as JSON objects; a missing number is null. */
    static List<Map<String, Object>> rows(Table t) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row row : t) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (String c : t.columnNames()) {
                ColumnType type = t.column(c).type();
                if (type == ColumnType.DOUBLE) {
                    double v = row.getDouble(c);
                    m.put(c, Double.isNaN(v) ? null : v);
                } else if (type == ColumnType.INTEGER) {
                    m.put(c, row.getInt(c));
                } else if (type == ColumnType.LONG) {
                    m.put(c, row.getLong(c));
                } else {
                    m.put(c, row.getString(c));
                }
            }
            out.add(m);
        }
        return out;
    }

    /** Writes the plots; returns their file names. */
    static List<String> plots(CsvResults r, Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        Table by = r.byScene();
        List<String> selectors = r.selectors();
        for (CsvMetric m : CsvMetric.values()) {
            XYChart c = new XYChartBuilder().width(640).height(400).title(m.column() + " against scene index")
                    .xAxisTitle("scene").yAxisTitle(m.column()).build();
            c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE).setMarkerSize(6);
            boolean any = false;
            for (String sel : selectors) {
                List<Integer> xs = new ArrayList<>();
                List<Double> ys = new ArrayList<>();
                for (Row row : by) {
                    double y = row.getDouble(m.column());
                    if (row.getString("selector").equals(sel) && !Double.isNaN(y)) {
                        xs.add(row.getInt("scene"));
                        ys.add(y);
                    }
                }
                if (!xs.isEmpty()) {
                    c.addSeries(sel, xs, ys);
                    any = true;
                }
            }
            if (any) {
                String name = "scene-" + m.column() + ".png";
                BitmapEncoder.saveBitmap(c, dir.resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
                names.add(name);
            }
        }
        Table s = r.summary();
        Map<String, List<CsvMetric>> bars = new LinkedHashMap<>();
        bars.put("summary-quality.png", List.of(CsvMetric.values()).stream()
                .filter(m -> m.kind() == CsvMetric.Kind.QUALITY).toList());
        bars.put("summary-hybrid.png", List.of(CsvMetric.HYBRID));
        bars.put("summary-ms-per-chunk.png", List.of(CsvMetric.MS_PER_CHUNK));
        for (var e : bars.entrySet()) {
            CategoryChart c = new CategoryChartBuilder().width(e.getValue().size() > 1 ? 960 : 480).height(400)
                    .title(e.getValue().size() > 1 ? "quality metrics (mean, 95 % interval over cells)"
                            : e.getValue().get(0).column() + " (mean, 95 % interval over cells)")
                    .yAxisTitle(e.getValue().size() > 1 ? "score" : e.getValue().get(0).column()).build();
            c.getStyler().setXAxisLabelRotation(20);
            c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
            List<String> cats = e.getValue().stream().map(CsvMetric::column).toList();
            for (Row row : s) {
                List<Double> mean = new ArrayList<>(), ci = new ArrayList<>();
                for (CsvMetric m : e.getValue()) {
                    double mv = row.getDouble(m.column() + "_mean"), cv = row.getDouble(m.column() + "_ci95");
                    mean.add(Double.isNaN(mv) ? 0 : mv);
                    ci.add(Double.isNaN(cv) ? 0 : cv);
                }
                c.addSeries(row.getString("selector"), cats, mean, ci);
            }
            BitmapEncoder.saveBitmap(c, dir.resolve(e.getKey()).toString(), BitmapEncoder.BitmapFormat.PNG);
            names.add(e.getKey());
        }
        return names;
    }

    static String fmt(CsvMetric m, double mean, double ci) {
        if (Double.isNaN(mean)) {
            return "–";
        }
        String f = m.kind() != CsvMetric.Kind.COMPUTE ? "%.3f" : Math.abs(mean) >= 100 ? "%.0f" : "%.1f";
        return String.format(Locale.ROOT, f, mean) + (Double.isNaN(ci) ? "" : " ± " + String.format(Locale.ROOT, f, ci));
    }

    static String markdown(CsvResults r) {
        Table s = r.summary();
        StringBuilder sb = new StringBuilder("| selector | cells |");
        for (CsvMetric m : HEADLINE) {
            sb.append(' ').append(m.column()).append(" |");
        }
        sb.append("\n|---|---:|");
        sb.append("---:|".repeat(HEADLINE.size())).append('\n');
        for (Row row : s) {
            sb.append("| `").append(row.getString("selector")).append("` | ").append(row.getInt("cells")).append(" |");
            for (CsvMetric m : HEADLINE) {
                sb.append(' ').append(fmt(m, row.getDouble(m.column() + "_mean"), row.getDouble(m.column() + "_ci95")))
                        .append(" |");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    static String report(CsvResults r, List<String> plots) {
        RunInfo i = r.info();
        StringBuilder sb = new StringBuilder("# CsVBench report\n\n");
        sb.append(String.format(Locale.ROOT, "%d cells (%d prompt sets x %d selectors x %d seeds), %d scenes each, "
                        + "judged by %s.%n%n", r.cells(), i.sets(), i.selectors().size(), i.seeds().size(), i.scenes(),
                i.judge()));
        if (!r.complete()) {
            sb.append(String.format(Locale.ROOT, "**Incomplete: %d of %d cells.** Resume the run with the same command, "
                    + "or merge the missing shards.%n%n", r.cells(), r.expectedCells()));
        }
        sb.append("## Summary\n\nMean ± 95 % interval (1.96 sd / sqrt(n)) over cells; each cell is first averaged over the "
                + "scenes where the metric applies. Identity, leakage and hybrid are measured on scenes 2..N. Higher is "
                + "better except leakage, flicker, kept tokens and ms per chunk. Every metric and its formula: the "
                + "README's CsVBench section. All metrics: `summary.csv`; every scene: `results.csv`.\n\n");
        sb.append(markdown(r)).append('\n');
        sb.append("## Plots\n\n");
        for (String p : plots) {
            if (p.startsWith("summary-")) {
                sb.append("![").append(p).append("](plots/").append(p).append(")\n");
            }
        }
        sb.append("\nThe length-extension view (each metric against scene index, one line per selector):\n\n");
        for (String p : plots) {
            if (p.startsWith("scene-") && HEADLINE.stream().anyMatch(m -> p.equals("scene-" + m.column() + ".png"))) {
                sb.append("![").append(p).append("](plots/").append(p).append(")\n");
            }
        }
        sb.append("\nMore: ").append(String.join(", ", plots.stream().filter(p -> p.startsWith("scene-")
                && HEADLINE.stream().noneMatch(m -> p.equals("scene-" + m.column() + ".png"))).map(p -> "`plots/" + p + "`")
                .toList())).append(".\n");
        List<Cell> samples = r.cellList().stream().filter(c -> c.sample() != null).toList();
        if (!samples.isEmpty()) {
            sb.append("\n## Sample videos\n\n");
            for (Cell c : samples) {
                sb.append("- `").append(c.selector()).append("`, set ").append(c.set()).append(", seed ").append(c.seed())
                        .append(": [").append(c.sample()).append("](").append(c.sample()).append(")\n");
            }
        }
        sb.append("\n## Provenance\n\n");
        sb.append("- command: `").append(i.command()).append("`\n");
        sb.append("- toolkit: ").append(i.tool()).append(' ').append(i.version()).append(", Java ").append(i.java())
                .append(", ").append(i.cores()).append(" cores\n");
        sb.append("- model: `").append(i.model()).append("`, weights SHA-256 `").append(i.modelSha256()).append("`")
                .append(i.sampling() == null ? "" : "; sampled with " + i.sampling()).append('\n');
        sb.append("- judge: ").append(i.judge()).append("; hybrid weights (alignment, artifact, identity) ")
                .append(i.weights()).append('\n');
        sb.append("- prompts: ").append(i.prompts()).append(", ").append(i.sets()).append(" sets, SHA-256 `")
                .append(i.promptsSha256()).append("`\n");
        sb.append("- selectors: ").append(String.join(", ", i.selectors())).append("; seeds ").append(i.seeds()).append('\n');
        sb.append("- shard: ").append(i.shard());
        if (!i.mergedFrom().isEmpty()) {
            sb.append(" (from ").append(String.join(", ", i.mergedFrom())).append(')');
        }
        sb.append("\n- time: ").append(i.time()).append(String.format(Locale.ROOT, "; generation and scoring: %.0f s over %d cells",
                r.cellList().stream().mapToDouble(Cell::seconds).sum(), r.cells())).append('\n');
        return sb.toString();
    }
}
