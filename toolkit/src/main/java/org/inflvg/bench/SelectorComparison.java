package org.inflvg.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.inflvg.InfLVG;
import org.inflvg.reward.HybridReward;
import org.inflvg.select.ContextSelector;
import org.inflvg.world.Eps;

/**
 * Selectors compared on the hybrid reward of whole generated scenes at every scene transition of a list of prompt
 * sets, each set generated once per seed with the same noise under every selector. One value per (set, seed): the
 * mean over its transitions of {@code alignment + artifact + identity} of the new scene against all frames before it.
 * A row reports the mean of those values with a 95% interval (1.96 standard errors), the per-seed means (their spread
 * is the seed-to-seed variation), and the paired difference to the first selector with its own 95% interval.
 */
public final class SelectorComparison {

    /**
     * One selector's figures.
     *
     * @param values    per (set, seed), set-major: the mean hybrid reward over the transitions
     * @param seedMeans per seed, the mean over sets
     */
    public record Row(String selector, double mean, double ci95, double[] seedMeans, double alignment, double artifact,
                      double identity, double deltaToFirst, double deltaCi95, double msPerChunk, double[] values) {
    }

    /** All rows; the first is the reference of the paired differences. */
    public record Result(List<Row> rows, int sets, int scenes, long[] seeds) {

        public String table() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("%d prompt sets x %d seeds, %d scenes each; hybrid = alignment + artifact + identity "
                    + "per transition, mean +- 95%% interval%n", sets, seeds.length, scenes));
            sb.append(String.format("%-16s %16s %10s %9s %9s %22s %9s  %s%n", "selector", "hybrid", "alignment",
                    "artifact", "identity", "vs " + rows.get(0).selector(), "ms/chunk", "per-seed means"));
            for (Row r : rows) {
                StringBuilder seedsTxt = new StringBuilder();
                for (double m : r.seedMeans()) {
                    seedsTxt.append(String.format("%.3f ", m));
                }
                sb.append(String.format("%-16s %8.3f +- %.3f %10.3f %9.3f %9.3f %+12.3f +- %.3f %9.0f  %s%n", r.selector(),
                        r.mean(), r.ci95(), r.alignment(), r.artifact(), r.identity(), r.deltaToFirst(), r.deltaCi95(),
                        r.msPerChunk(), seedsTxt.toString().trim()));
            }
            return sb.toString();
        }
    }

    private SelectorComparison() {
    }

    /** Runs every selector on every set and seed; {@code progress} counts generated stories. */
    public static Result run(InfLVG lvg, HybridReward reward, List<Eps> sets, int scenes, List<ContextSelector> selectors,
                             long[] seeds, IntConsumer progress) {
        if (sets.isEmpty() || selectors.isEmpty() || seeds.length == 0) {
            throw new IllegalArgumentException("need at least one prompt set, selector and seed");
        }
        int n = sets.size() * seeds.length, done = 0;
        double[][] values = new double[selectors.size()][n], comps = new double[selectors.size()][3];
        double[] ms = new double[selectors.size()];
        for (int si = 0; si < sets.size(); si++) {
            Eps full = sets.get(si);
            if (full.size() < 2) {
                throw new IllegalArgumentException("prompt set " + full.index() + " has one scene: no transition to score");
            }
            Eps e = new Eps(full.index(), full.scenes().subList(0, Math.min(scenes, full.size())), full.identity(),
                    full.split());
            for (int k = 0; k < seeds.length; k++) {
                for (int s = 0; s < selectors.size(); s++) {
                    List<TransitionScores.Transition> tr = TransitionScores.run(lvg, reward, e, seeds[k], selectors.get(s));
                    double sum = 0;
                    for (TransitionScores.Transition t : tr) {
                        sum += t.score().total();
                        comps[s][0] += t.score().components().get("alignment");
                        comps[s][1] += t.score().components().get("artifact");
                        comps[s][2] += t.score().components().get("identity");
                        ms[s] += t.msPerChunk();
                    }
                    values[s][si * seeds.length + k] = sum / tr.size();
                    progress.accept(++done);
                }
            }
        }
        int transitions = 0;
        for (Eps e : sets) {
            transitions += Math.min(scenes, e.size()) - 1;
        }
        transitions *= seeds.length;
        List<Row> rows = new ArrayList<>();
        for (int s = 0; s < selectors.size(); s++) {
            double[] seedMeans = new double[seeds.length];
            for (int i = 0; i < n; i++) {
                seedMeans[i % seeds.length] += values[s][i] / sets.size();
            }
            double[] delta = new double[n];
            for (int i = 0; i < n; i++) {
                delta[i] = values[s][i] - values[0][i];
            }
            rows.add(new Row(selectors.get(s).name(), mean(values[s]), ci95(values[s]), seedMeans,
                    comps[s][0] / transitions, comps[s][1] / transitions, comps[s][2] / transitions, mean(delta),
                    ci95(delta), ms[s] / transitions, values[s].clone()));
        }
        return new Result(rows, sets.size(), scenes, seeds.clone());
    }

    static double mean(double[] x) {
        return TransitionScores.mean(x);
    }

    /** 1.96 standard errors of the mean (0 for a single value). */
    static double ci95(double[] x) {
        return TransitionScores.ci95(x);
    }
}
