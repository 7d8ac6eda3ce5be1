package org.inflvg.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.function.BiFunction;
import org.inflvg.GcPoison;
import org.junit.jupiter.api.Test;

/** Arithmetic with Java numbers inside a recorded graph survives a garbage collection before the backward pass. */
class ScalarsTest {

    /** Gradients of y = op(x) for 300 separate graphs, with GC and overwritten memory between forward and backward. */
    private static int wrongGradients(BiFunction<NDArray, Integer, NDArray> op, float expected) {
        int n = 300, wrong = 0;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray[] xs = new NDArray[n];
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray total = null;
                for (int i = 0; i < n; i++) {
                    xs[i] = m.create(new float[] {1f, -2f});
                    xs[i].setRequiresGradient(true);
                    NDArray y = op.apply(xs[i], i).sum();
                    total = total == null ? y : total.add(y);
                }
                GcPoison.collectAndOverwrite();
                gc.backward(total);
            }
            for (NDArray x : xs) {
                float[] g = x.getGradient().toFloatArray();
                if (g[0] != expected || g[1] != expected) {
                    wrong++;
                }
            }
        }
        return wrong;
    }

    @Test
    void scalarsSurviveACollectionBeforeBackward() {
        assertEquals(0, wrongGradients((x, i) -> Scalars.mul(x, 3), 3f), "Scalars.mul");
        assertEquals(0, wrongGradients((x, i) -> Scalars.div(x, 4), 0.25f), "Scalars.div");
    }

    /**
     * The hazard itself, in DJL 0.36's own {@code x.mul(3f)}: its scalar lives in a Java buffer that is freed while the
     * graph still needs it. This is also what makes the poison meaningful: if it ever fails (DJL keeps the scalar alive,
     * or the poison no longer reaches freed memory), the survival tests in this suite prove nothing and need a new look.
     */
    @Test
    void djlsOwnNumberOpsLoseTheirScalar() {
        int wrong = wrongGradients((x, i) -> x.mul(3f), 3f);
        assertTrue(wrong > 0, "DJL's x.mul(3f) gave the right gradient in all 300 graphs after a collection: either DJL "
                + "now keeps the scalar alive (org.inflvg.model.Scalars may be retired) or GcPoison no longer provokes");
    }
    /** The base model's training loss (attention scales, flow interpolation) survives a collection before backward. */
    @Test
    void baseModelGradientSurvivesACollectionBeforeBackward() {
        ModelConfig cfg = org.inflvg.TestModels.SMALL;
        int B = 2, C = 2, n = B * C * cfg.tokensPerChunk() * cfg.patchDim();
        java.util.Random r = new java.util.Random(2);
        float[] clean = new float[n], noise = new float[n];
        for (int i = 0; i < n; i++) {
            clean[i] = (float) (2 * r.nextDouble() - 1);
            noise[i] = (float) r.nextGaussian();
        }
        int[] ids = new int[B * cfg.textLength()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 1 + r.nextInt(3);
        }
        TrainBatch tb = new TrainBatch(B, C, clean, noise, new float[] {0.2f, 0.7f, 0.5f, 0.9f}, new int[] {0, 2}, ids,
                new boolean[] {false, true});
        try (NDManager root = NDManager.newBaseManager(); TinyDiT model = TinyDiT.create(cfg, root, 1)) {
            try (NoGrad ng = new NoGrad(); NDManager m = root.newSubManager()) {
                for (NDArray p : model.weights().all().values()) { // off the zero-initialised gates: every path carries
                    p.addi(m.randomNormal(0, 0.2f, p.getShape(), p.getDataType()));  // a gradient
                }
            }
            double change = org.inflvg.GcPoison.gradientChange(model.weights(), root, m -> model.trainingLoss(m, tb));
            assertEquals(0.0, change, 1e-6, "TinyDiT's gradient");
        }
    }
}
