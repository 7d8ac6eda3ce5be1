package org.inflvg.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.inflvg.Scene;
import org.inflvg.model.ModelConfig;
import org.inflvg.reward.Judge;
import org.inflvg.video.FrameMetrics;
import org.inflvg.video.Video;
import org.inflvg.world.Prompt;

/** The measurements of one scene, by the formulas of {@link CsvMetric}. */
final class SceneMetrics {

    private SceneMetrics() {
    }

    /**
     * Every {@link CsvMetric} of a scene; transition metrics are null on the first scene ({@code previous == null}),
     * leakage is null when the previous prompt has the same background.
     *
     * @param history    all frames before the scene (null for the first scene)
     * @param cacheBytes the KV cache's bytes after the scene
     */
    static Map<String, Double> measure(Judge judge, CsVBench.Weights w, ModelConfig cfg, Scene scene, Prompt prompt,
                                       Prompt previous, Video history, long cacheBytes) {
        Video v = scene.video();
        double[][] pf = frameBackgrounds(judge, v);
        Map<String, Double> m = new LinkedHashMap<>();
        double align = checked(judge, "alignment", judge.alignment(v, prompt));
        Double identity = history == null ? null : checked(judge, "identity", judge.identity(v, history));
        double artifact = checked(judge, "artifact", judge.artifact(v));
        m.put(CsvMetric.ALIGNMENT.column(), align);
        m.put(CsvMetric.IDENTITY.column(), identity);
        m.put(CsvMetric.LEAKAGE.column(), previous == null || previous.background() == prompt.background() ? null
                : leakage(pf, previous.background().ordinal()));
        m.put(CsvMetric.SUBJECT_CONSISTENCY.column(), checked(judge, "subjectConsistency", judge.subjectConsistency(v)));
        m.put(CsvMetric.BACKGROUND_CONSISTENCY.column(), backgroundConsistency(pf));
        m.put(CsvMetric.FLICKER.column(), FrameMetrics.flicker(v));
        m.put(CsvMetric.ARTIFACT.column(), artifact);
        m.put(CsvMetric.HYBRID.column(), identity == null ? null
                : w.alignment() * align + w.artifact() * artifact + w.identity() * identity);
        double context = java.util.Arrays.stream(scene.contextTokens()).average().orElse(0);
        m.put(CsvMetric.KEPT_TOKENS.column(), scene.selection() == null ? null : (double) scene.selection().size());
        m.put(CsvMetric.CONTEXT_TOKENS.column(), context);
        m.put(CsvMetric.MS_PER_CHUNK.column(), scene.msPerChunk());
        m.put(CsvMetric.KV_CACHE_BYTES.column(), (double) cacheBytes);
        m.put(CsvMetric.KV_ATTENDED_BYTES.column(), context * 2 * cfg.depth() * cfg.dim() * Float.BYTES);
        return m;
    }

    /** Per frame, the judge's background probabilities: [F][B]. */
    static double[][] frameBackgrounds(Judge judge, Video v) {
        double[][] p = new double[v.frameCount()][];
        for (int f = 0; f < v.frameCount(); f++) {
            p[f] = judge.backgroundProbabilities(v.frames(f, f + 1));
            for (double x : p[f]) {
                checked(judge, "backgroundProbabilities", x);
            }
        }
        return p;
    }

    /** Leakage: mean over frames of the probability of background {@code previous}. */
    static double leakage(double[][] pf, int previous) {
        double s = 0;
        for (double[] p : pf) {
            s += p[previous];
        }
        return s / pf.length;
    }

    /** Background consistency: mean over consecutive frames of 1 - ½ L1 between their background distributions. */
    static double backgroundConsistency(double[][] pf) {
        if (pf.length < 2) {
            return 1;
        }
        double s = 0;
        for (int f = 1; f < pf.length; f++) {
            double l1 = 0;
            for (int b = 0; b < pf[f].length; b++) {
                l1 += Math.abs(pf[f][b] - pf[f - 1][b]);
            }
            s += 1 - l1 / 2;
        }
        return s / (pf.length - 1);
    }

    private static double checked(Judge judge, String what, double x) {
        if (!Double.isFinite(x)) {
            throw new IllegalStateException("judge " + judge + " returned " + x + " for " + what
                    + "; a Judge must never return NaN or infinity");
        }
        return x;
    }
}
