package org.inflvg.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import org.inflvg.InfLVG;
import org.inflvg.reward.HybridReward;
import org.inflvg.select.ContextSelector;
import org.inflvg.select.Selectors;
import org.inflvg.world.Eps;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * The budget report card: one selector family ({@code policy}, {@code random}, {@code attention}, {@code text}) swept
 * over kept-token budgets K (and {@code full} for comparison) on a list of prompt sets, every transition scored with
 * the hybrid reward and split by the kind of scene switch (the background changes, the action changes, both). It is
 * how a user chooses K: the hybrid score and each component, and the ms per chunk, against the budget.
 */
public final class BudgetCard {

    /** Selector families that take a budget K. */
    public static final List<String> FAMILIES = List.of("policy", "random", "attention", "text");

    private final Table table;
    private final String family;

    private BudgetCard(Table table, String family) {
        this.table = table;
        this.family = family;
    }

    /**
     * Runs the sweep. {@code budgets} are numbers of kept tokens; {@code Integer.MAX_VALUE} stands for full context.
     * {@code progress} counts generated stories.
     */
    public static BudgetCard run(InfLVG lvg, HybridReward reward, List<Eps> sets, String family, int[] budgets,
                                 long[] seeds, IntConsumer progress) {
        if (!FAMILIES.contains(family)) {
            throw new IllegalArgumentException("budget sweeps take a selector family with a budget: " + FAMILIES
                    + ", got '" + family + "'");
        }
        if (sets.isEmpty() || budgets.length == 0 || seeds.length == 0) {
            throw new IllegalArgumentException("need at least one prompt set, budget and seed");
        }
        StringColumn budgetCol = StringColumn.create("budget"), kindCol = StringColumn.create("switch");
        IntColumn kCol = IntColumn.create("kept"), nCol = IntColumn.create("n");
        Map<String, DoubleColumn> cols = new LinkedHashMap<>();
        for (String c : List.of("hybrid", "hybrid_ci95", "alignment", "artifact", "identity", "ms_per_chunk")) {
            cols.put(c, DoubleColumn.create(c));
        }
        int done = 0;
        for (int budget : budgets) {
            ContextSelector sel = budget == Integer.MAX_VALUE ? Selectors.full() : Selectors.parse(family + ":" + budget);
            Map<TransitionScores.Kind, List<TransitionScores.Transition>> byKind =
                    new EnumMap<>(TransitionScores.Kind.class);
            List<TransitionScores.Transition> all = new ArrayList<>();
            for (Eps e : sets) {
                for (long seed : seeds) {
                    for (TransitionScores.Transition t : TransitionScores.run(lvg, reward, e, seed, sel)) {
                        byKind.computeIfAbsent(t.kind(), k -> new ArrayList<>()).add(t);
                        all.add(t);
                    }
                    progress.accept(++done);
                }
            }
            String label = budget == Integer.MAX_VALUE ? "full" : String.valueOf(budget);
            add(budgetCol, kindCol, kCol, nCol, cols, label, "all", all);
            for (var e : byKind.entrySet()) {
                add(budgetCol, kindCol, kCol, nCol, cols, label, e.getKey().label(), e.getValue());
            }
        }
        Table t = Table.create("budget card: " + family, budgetCol, kindCol, kCol, nCol);
        java.text.NumberFormat three = java.text.NumberFormat.getNumberInstance(java.util.Locale.ROOT);
        three.setMaximumFractionDigits(3);
        three.setMinimumFractionDigits(3);
        three.setGroupingUsed(false);
        for (DoubleColumn c : cols.values()) {
            c.setPrintFormatter(three, "");
            t.addColumns(c);
        }
        return new BudgetCard(t, family);
    }

    private static void add(StringColumn budgetCol, StringColumn kindCol, IntColumn kCol, IntColumn nCol,
                            Map<String, DoubleColumn> cols, String budget, String kind,
                            List<TransitionScores.Transition> ts) {
        double[] total = ts.stream().mapToDouble(t -> t.score().total()).toArray();
        budgetCol.append(budget);
        kindCol.append(kind);
        kCol.append((int) Math.round(ts.stream().mapToInt(TransitionScores.Transition::kept).average().orElse(0)));
        nCol.append(ts.size());
        cols.get("hybrid").append(TransitionScores.mean(total));
        cols.get("hybrid_ci95").append(TransitionScores.ci95(total));
        for (String c : List.of("alignment", "artifact", "identity")) {
            cols.get(c).append(ts.stream().mapToDouble(t -> t.score().components().get(c)).average().orElse(Double.NaN));
        }
        cols.get("ms_per_chunk").append(ts.stream().mapToDouble(TransitionScores.Transition::msPerChunk).average()
                .orElse(Double.NaN));
    }

    /** One row per (budget, switch kind), "all" first for each budget. */
    public Table table() {
        return table;
    }

    /** {@code metric} against the kept tokens, one line per switch kind. */
    public XYChart chart(String metric) {
        XYChart c = new XYChartBuilder().width(640).height(400).title(metric + " against the budget (" + family + ")")
                .xAxisTitle("kept tokens K").yAxisTitle(metric).build();
        for (String kind : table.stringColumn("switch").unique().asList()) {
            Table part = table.where(table.stringColumn("switch").isEqualTo(kind));
            double[] x = part.intColumn("kept").asDoubleArray(), y = part.doubleColumn(metric).asDoubleArray();
            if (x.length > 0) {
                c.addSeries(kind, x, y);
            }
        }
        return c;
    }

    /** Writes {@code budget.csv}, {@code budget.md} and one PNG per metric into {@code dir}. */
    public void write(Path dir) {
        try {
            Files.createDirectories(dir);
            table.write().csv(dir.resolve("budget.csv").toFile());
            StringBuilder md = new StringBuilder("# Budget card: " + family + "\n\n| ");
            md.append(String.join(" | ", table.columnNames())).append(" |\n|");
            md.append(" --- |".repeat(table.columnCount())).append('\n');
            for (int r = 0; r < table.rowCount(); r++) {
                md.append("| ");
                for (int c = 0; c < table.columnCount(); c++) {
                    Object v = table.column(c).get(r);
                    md.append(v instanceof Double d ? String.format("%.3f", d) : String.valueOf(v)).append(" | ");
                }
                md.append('\n');
            }
            for (String m : List.of("hybrid", "alignment", "identity", "artifact", "ms_per_chunk")) {
                String name = "budget-" + m.replace('_', '-') + ".png";
                BitmapEncoder.saveBitmap(chart(m), dir.resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
                md.append("\n![").append(m).append("](").append(name).append(")\n");
            }
            Files.writeString(dir.resolve("budget.md"), md.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the budget card to " + dir, e);
        }
    }

    @Override
    public String toString() {
        return table.print();
    }
}
