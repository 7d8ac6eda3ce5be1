package org.inflvg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.engine.Engine;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generates one chunk: Euler steps of the learned flow from noise (t = 1) to data (t = 0), every step attending to the
 * same gathered context; then one pass at t = 0 over the finished chunk writes its keys and values to the cache
 * (CausVid's clean-cache pass). Deterministic for a noise seed.
 */
public final class ChunkGenerator {

    private ChunkGenerator() {
    }

    /** Result of one chunk: its tokens (values in [-1, 1], [N * P]) and milliseconds taken. */
    public record Result(float[] tokens, double millis) {
    }

    /**
     * Generates the chunk at frame {@code firstFrame} with the cache tokens {@code keep} as context and appends it to
     * the cache as part of scene {@code scene}. {@code fixed}, when not null, is a chunk to write instead of generating
     * (a rendered first chunk: image-to-video).
     */
    public static Result generate(TinyDiT model, KvCache cache, int[] keep, int[] textIds, int firstFrame, int scene,
                                  long noiseSeed, float[] fixed) {
        ModelConfig cfg = model.config();
        int N = cfg.tokensPerChunk(), P = cfg.patchDim();
        long t0 = System.nanoTime();
        try (NDManager m = cache.configManagerFor(model); var ng = new NoGrad()) {
            TinyDiT.Context ctx = cache.gather(keep, m);
            boolean cfgGuidance = Math.abs(cfg.guidance() - 1.0) > 1e-9;
            int S = cfgGuidance ? 2 : 1;
            int[] ids = new int[S * cfg.textLength()];
            System.arraycopy(textIds, 0, ids, 0, cfg.textLength()); // row 1 (if any) stays padding = null prompt
            NDArray[] text = model.text(m, ids, S);
            float[] x;
            if (fixed != null) {
                x = fixed.clone();
            } else {
                x = new float[N * P];
                Random r = new Random(noiseSeed);
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextGaussian();
                }
                int steps = cfg.denoiseSteps();
                for (int s = 0; s < steps; s++) {
                    float t = 1f - s / (float) steps, tNext = 1f - (s + 1) / (float) steps;
                    try (NDManager sm = m.newSubManager()) {
                        NDArray xs = sm.create(x, new Shape(1, N, P));
                        float[] ts = new float[S];
                        java.util.Arrays.fill(ts, t);
                        if (S == 2) {
                            xs = xs.concat(xs, 0);
                        }
                        NDArray v = model.velocity(sm, xs, ts, firstFrame, text, ctx, null);
                        if (S == 2) { // classifier-free guidance: v = v_null + w (v_cond - v_null)
                            NDArray vc = v.get(0), vu = v.get(1);
                            v = vu.add(vc.sub(vu).mul((float) cfg.guidance()));
                        }
                        float[] vf = v.toFloatArray();
                        for (int i = 0; i < x.length; i++) {
                            x[i] += (tNext - t) * vf[i];
                        }
                    }
                }
                for (int i = 0; i < x.length; i++) {
                    x[i] = Math.max(-1f, Math.min(1f, x[i]));
                }
            }
            // clean pass at t = 0: the chunk's keys and values go to the cache
            List<NDArray[]> kv = new ArrayList<>();
            NDArray[] text1 = S == 1 ? text : new NDArray[] {text[0].get("0:1"), text[1].get("0:1")};
            model.velocity(m, m.create(x, new Shape(1, N, P)), new float[] {0f}, firstFrame, text1, ctx, kv);
            cache.append(kv, firstFrame, scene);
            return new Result(x, (System.nanoTime() - t0) / 1e6);
        }
    }

    /** Switches libtorch's grad mode off on this thread for the scope (generation records no graph). */
    static final class NoGrad implements AutoCloseable {
        private final boolean was;

        NoGrad() {
            was = ai.djl.pytorch.jni.JniUtils.isGradMode();
            ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        }

        @Override
        public void close() {
            ai.djl.pytorch.jni.JniUtils.setGradMode(was);
        }
    }
}
