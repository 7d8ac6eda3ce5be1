package org.inflvg.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Reference equivalence: the op-count-reduced {@link TinyDiT} computes what its frozen pre-optimisation copy
 * ({@link TinyDiTReference}) computes: velocity, keys, values and queries for S = 1, 2, 8 rows with and without context
 * (shared and per-row), twice with the same text (the cross-attention memo), and the training loss and its gradients.
 */
class TinyDiTReferenceTest {

    static final double TOL = 1e-5;

    @Test
    void velocityKeysValuesAndQueriesEqualTheReference() {
        try (NDManager root = NDManager.newBaseManager(); var ng = new NoGrad()) {
            TinyDiT model = TinyDiT.create(ModelConfig.TINY, root, 21);
            TeacherForcingEquivalenceTest.randomise(model, 22);
            ModelConfig c = model.config();
            int D = c.depth(), H = c.heads(), N = c.tokensPerChunk(), hd = c.headDim();
            try (TinyDiTReference ref = new TinyDiTReference(model)) {
                Random r = new Random(23);
                double worst = 0;
                for (int S : new int[] {1, 2, 8}) {
                    for (int ctxKind = 0; ctxKind < 3; ctxKind++) {          // none, shared [1, ...], per row [S, ...]
                        try (NDManager m = root.newSubManager()) {
                            int M = ctxKind == 0 ? 0 : 37 + r.nextInt(200);
                            int rows = ctxKind == 2 ? S : 1;
                            NDArray[][] kv = new NDArray[D][2];
                            for (int l = 0; l < D; l++) {
                                for (int w = 0; w < 2; w++) {
                                    kv[l][w] = TinyDiTBench.rand(m, r, new Shape(rows, H, Math.max(M, 1), hd));
                                }
                            }
                            VideoModel.Context ctx = M == 0 ? null : context(kv, M);
                            int[] ids = new int[S * c.textLength()];
                            for (int i = 0; i < ids.length; i++) {
                                ids[i] = r.nextInt(model.vocabulary().size());
                            }
                            NDArray[] textNew = model.text(m, ids, S), textRef = ref.text(m, ids, S);
                            worst = Math.max(worst, check(textRef[0], textNew[0], "text tokens"));
                            worst = Math.max(worst, check(textRef[1], textNew[1], "pooled text"));
                            NDArray x = TinyDiTBench.rand(m, r, new Shape(S, N, c.patchDim()));
                            int first = 2 * r.nextInt(c.maxFrames() / 2);
                            for (int call = 0; call < 2; call++) {             // the second reuses the text's memo
                                float[] t = new float[S];
                                for (int s = 0; s < S; s++) {
                                    t[s] = r.nextFloat();
                                }
                                List<NDArray[]> outNew = new ArrayList<>(), outRef = new ArrayList<>();
                                NDArray vNew = model.velocity(m, x, t, first, textNew, ctx, outNew);
                                NDArray vRef = ref.velocity(m, x, t, first, textRef, ctx, outRef);
                                String what = "S=" + S + " M=" + M + " rows " + rows + " call " + call;
                                worst = Math.max(worst, check(vRef, vNew, "velocity " + what));
                                for (int l = 0; l < D; l++) {
                                    for (int w = 0; w < 3; w++) {
                                        worst = Math.max(worst, check(outRef.get(l)[w], outNew.get(l)[w],
                                                "kvq " + w + " layer " + l + " " + what));
                                    }
                                }
                            }
                        }
                    }
                }
                System.out.println("TinyDiT vs reference: largest velocity/kvq difference " + worst);
            }
        }
    }

    /** One prompt for a whole group: text [1, L, d] broadcast to S rows, as a GRPO rollout passes it. */
    @Test
    void oneTextForManyRowsEqualsTheReference() {
        oneTextForManyRows(ModelConfig.TINY);
    }

    @Test
    void theConvolutionalStemAndHeadEqualTheReference() {
        oneTextForManyRows(TeacherForcingEquivalenceTest.SMALL.withConv(4));
        trainingEquivalence(TeacherForcingEquivalenceTest.SMALL.withConv(4), 2);
    }

    static void oneTextForManyRows(ModelConfig cfg) {
        try (NDManager root = NDManager.newBaseManager(); var ng = new NoGrad()) {
            TinyDiT model = TinyDiT.create(cfg, root, 31);
            TeacherForcingEquivalenceTest.randomise(model, 32);
            ModelConfig c = model.config();
            try (TinyDiTReference ref = new TinyDiTReference(model); NDManager m = root.newSubManager()) {
                Random r = new Random(33);
                int[] ids = model.tokenize("A robot jumps on the beach");
                NDArray[] text = model.text(m, ids, 1);
                NDArray x = TinyDiTBench.rand(m, r, new Shape(4, c.tokensPerChunk(), c.patchDim()));
                float[] t = {0.1f, 0.4f, 0.7f, 1f};
                for (int call = 0; call < 2; call++) {
                    check(ref.velocity(m, x, t, 8, text, null, null), model.velocity(m, x, t, 8, text, null, null),
                            "velocity, one text for 4 rows, call " + call);
                }
            }
        }
    }

    @Test
    void trainingLossAndGradientsEqualTheReference() {
        for (ModelConfig cfg : new ModelConfig[] {ModelConfig.TINY, TeacherForcingEquivalenceTest.SMALL,
            new ModelConfig(16, 4, 2, 1, 32, 2, 2, 1, 8, 24, 2, 1.0)}) {        // the last: one chunk per clip
            for (int B : new int[] {1, 3}) {
                trainingEquivalence(cfg, B);
            }
        }
    }

    static void trainingEquivalence(ModelConfig cfg, int B) {
        try (NDManager root = NDManager.newBaseManager()) {
            TinyDiT model = TinyDiT.create(cfg, root, 41);
            TeacherForcingEquivalenceTest.randomise(model, 42 + B);
            model.weights().requireGradients();
            TrainBatch tb = TinyDiTBench.batch(cfg, B);
            try (TinyDiTReference ref = new TinyDiTReference(model)) {
                float[] loss = new float[2];
                List<Map<String, float[]>> grads = new ArrayList<>();
                for (int which = 0; which < 2; which++) {
                    try (NDManager m = root.newSubManager();
                         GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray l = which == 0 ? ref.trainingLoss(m, tb) : model.trainingLoss(m, tb);
                        gc.backward(l);
                        loss[which] = l.getFloat();
                    }
                    Map<String, float[]> g = new HashMap<>();
                    for (var e : model.weights().all().entrySet()) {
                        try (NDArray grad = e.getValue().getGradient()) {
                            g.put(e.getKey(), grad.toFloatArray());
                            grad.subi(grad);                                    // zero it for the other pass
                        }
                    }
                    grads.add(g);
                }
                String what = cfg.chunksPerScene() + " chunks, B=" + B;
                assertEquals(loss[0], loss[1], TOL, "training loss, " + what);
                double worst = 0;
                for (String name : grads.get(0).keySet()) {
                    float[] a = grads.get(0).get(name), b = grads.get(1).get(name);
                    for (int i = 0; i < a.length; i++) {
                        double diff = Math.abs(a[i] - b[i]);
                        worst = Math.max(worst, diff);
                        assertTrue(diff <= TOL, "gradient of " + name + "[" + i + "], " + what + ": " + a[i]
                                + " vs " + b[i]);
                    }
                }
                System.out.println("training " + what + ": loss " + loss[0] + " vs " + loss[1] + ", difference "
                        + Math.abs(loss[0] - loss[1]) + ", largest gradient difference " + worst);
            }
        }
    }

    static VideoModel.Context context(NDArray[][] kv, int M) {
        return new VideoModel.Context() {
            public int tokens() {
                return M;
            }

            public NDArray keys(int layer) {
                return kv[layer][0];
            }

            public NDArray values(int layer) {
                return kv[layer][1];
            }
        };
    }

    static double check(NDArray expected, NDArray actual, String what) {
        assertEquals(expected.getShape(), actual.getShape(), what);
        float[] a = expected.toFloatArray(), b = actual.toFloatArray();
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        assertTrue(worst < TOL, what + ": largest difference " + worst);
        return worst;
    }
}
