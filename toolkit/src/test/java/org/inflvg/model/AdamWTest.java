package org.inflvg.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class AdamWTest {

    /** One non-finite gradient must skip one update, not poison every later step (the g - g trap). */
    @Test
    void aNaNGradientSkipsOneStepOnly() {
        try (NDManager m = NDManager.newBaseManager(); Weights w = new Weights(m)) {
            NDArray p = w.put("p", m.create(new float[] {1f, 2f}));
            w.requireGradients();
            AdamW opt = new AdamW(w, m, 0.9, 0.999, 0);
            try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(p.mul(s.create(new float[] {Float.NaN, 1f})).sum());
            }
            assertFalse(Double.isFinite(opt.update(0.1, 1)));
            assertEquals(1, opt.skipped());
            try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(p.mul(s.create(new float[] {1f, 1f})).sum());
            }
            double norm = opt.update(0.1, 10);
            assertEquals(Math.sqrt(2), norm, 1e-5);
            float[] v = p.toFloatArray();
            assertTrue(v[0] < 1f && v[1] < 2f, "the second step must update the weights");
            opt.close();
        }
    }
}
