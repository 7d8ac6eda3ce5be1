package org.inflvg.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdamWTest {

    /** One non-finite gradient must skip one update, not poison every later step (the g - g trap). */
    @Test
    void aNaNGradientSkipsOneStepOnly() {
        try (NDManager m = NDManager.newBaseManager(); Weights w = new Weights(m)) {
            NDArray p = w.put("p", m.create(new float[] {1f, 2f}));
            w.put("q", m.create(new float[] {3f}));
            w.requireGradients();
            AdamW opt = new AdamW(w, m, 0.9, 0.999, 0);
            try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(p.mul(s.create(new float[] {Float.NaN, 1f})).sum().add(w.get("q").sum()));
            }
            assertFalse(Double.isFinite(opt.update(0.1, 1)));
            assertEquals(1, opt.skipped());
            assertEquals("p", opt.lastNonFinite(), "the log names the parameter with the bad gradient");
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

    /**
     * A huge gradient (norm 3.2e7, one parameter all negative: DJL's own clipping only clamps from above) is scaled to
     * the global norm: the first moment after one step is (1 - beta1) * g * clip / norm, read back from the saved moments.
     */
    @Test
    void aHugeGradientIsClippedToTheGlobalNorm(@TempDir Path dir) {
        try (NDManager m = NDManager.newBaseManager(); Weights w = new Weights(m)) {
            NDArray a = w.put("a", m.ones(new Shape(10, 50)));
            NDArray b = w.put("b", m.ones(new Shape(500)));
            w.requireGradients();
            try (AdamW opt = new AdamW(w, m, 0.9, 0.99, 0.01)) {
                try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(a.sum().mul(1e6f).add(b.sum().mul(-2e6f)));
                }
                double expected = Math.sqrt(500 * 1e12 + 500 * 4e12);                  // 5.0e7
                double norm = opt.update(1e-3, 1.0);
                assertEquals(expected, norm, expected * 1e-6);
                opt.save(dir);
            }
            try (Weights moments = new Weights(m)) {
                moments.put("a", m.zeros(new Shape(10, 50)));
                moments.put("b", m.zeros(new Shape(500)));
                moments.load(dir.resolve("adam-m.bin"));
                double scale = 1.0 / Math.sqrt(500 * 1e12 + 500 * 4e12);
                float[] ma = moments.get("a").toFloatArray(), mb = moments.get("b").toFloatArray();
                assertEquals(0.1 * 1e6 * scale, ma[0], 1e-9);
                assertEquals(0.1 * -2e6 * scale, mb[0], 1e-9);
                double clipped = 0;
                for (float x : ma) {
                    clipped += x * (double) x;
                }
                for (float x : mb) {
                    clipped += x * (double) x;
                }
                assertEquals(0.1, Math.sqrt(clipped), 1e-6, "the clipped gradient has norm clip (times 1 - beta1)");
            }
        }
    }

    /** Four steps with mixed, partly clipped gradients match AdamW written out in Java doubles (the old loop's maths). */
    @Test
    void stepsMatchAReferenceAdamW() {
        int[][] shapes = {{3, 4}, {5}, {2, 2, 2}};
        String[] names = {"w", "b", "frame_pos"};
        double b1 = 0.9, b2 = 0.99, wd = 0.05, lr = 0.01, clip = 2.0;
        Random r = new Random(3);
        try (NDManager m = NDManager.newBaseManager(); Weights w = new Weights(m)) {
            double[][] p = new double[3][], mm = new double[3][], vv = new double[3][];
            for (int i = 0; i < 3; i++) {
                int n = 1;
                for (int d : shapes[i]) {
                    n *= d;
                }
                float[] init = new float[n];
                for (int j = 0; j < n; j++) {
                    init[j] = (float) r.nextGaussian();
                }
                long[] sh = java.util.Arrays.stream(shapes[i]).asLongStream().toArray();
                w.put(names[i], m.create(init, new Shape(sh)));
                p[i] = new double[n];
                for (int j = 0; j < n; j++) {
                    p[i][j] = init[j];
                }
                mm[i] = new double[n];
                vv[i] = new double[n];
            }
            w.requireGradients();
            try (AdamW opt = new AdamW(w, m, b1, b2, wd)) {
                for (int step = 1; step <= 4; step++) {
                    double gain = step % 2 == 0 ? 10 : 0.1;                           // even steps clip, odd do not
                    float[][] g = new float[3][];
                    try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray loss = null;
                        for (int i = 0; i < 3; i++) {
                            g[i] = new float[p[i].length];
                            for (int j = 0; j < g[i].length; j++) {
                                g[i][j] = (float) (r.nextGaussian() * gain);
                            }
                            NDArray gi = s.create(g[i], w.get(names[i]).getShape());
                            NDArray term = w.get(names[i]).mul(gi).sum();
                            loss = loss == null ? term : loss.add(term);
                        }
                        gc.backward(loss);
                    }
                    double sq = 0;
                    for (float[] gi : g) {
                        for (float x : gi) {
                            sq += x * (double) x;
                        }
                    }
                    double norm = Math.sqrt(sq), scale = norm > clip ? clip / norm : 1;
                    assertEquals(norm, opt.update(lr, clip), norm * 1e-5);
                    for (int i = 0; i < 3; i++) {
                        for (int j = 0; j < p[i].length; j++) {
                            double gs = g[i][j] * scale;
                            mm[i][j] = b1 * mm[i][j] + (1 - b1) * gs;
                            vv[i][j] = b2 * vv[i][j] + (1 - b2) * gs * gs;
                            double upd = mm[i][j] / (1 - Math.pow(b1, step))
                                    / (Math.sqrt(vv[i][j] / (1 - Math.pow(b2, step))) + 1e-8);
                            if (shapes[i].length >= 2 && !names[i].equals("frame_pos")) {
                                upd += wd * p[i][j];
                            }
                            p[i][j] -= lr * upd;
                        }
                    }
                }
                for (int i = 0; i < 3; i++) {
                    float[] got = w.get(names[i]).toFloatArray();
                    for (int j = 0; j < got.length; j++) {
                        assertEquals(p[i][j], got[j], 1e-5, names[i] + "[" + j + "]");
                    }
                }
            }
        }
    }
}
