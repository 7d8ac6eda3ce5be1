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
    public static Result generate(VideoModel model, KvCache cache, int[] keep, int[] textIds, int firstFrame, int scene,
                                  long noiseSeed, float[] fixed) {
        ModelConfig cfg = model.config();
        int N = cfg.tokensPerChunk(), P = cfg.patchDim();
        long t0 = System.nanoTime();
        try (NDManager m = cache.configManagerFor(model); var ng = new org.inflvg.model.NoGrad()) {
            VideoModel.Context ctx = cache.gather(keep, m);
            boolean cfgGuidance = Math.abs(cfg.guidance() - 1.0) > 1e-9;
            int S = cfgGuidance ? 2 : 1;
            int[] ids = new int[S * cfg.textLength()];
            System.arraycopy(textIds, 0, ids, 0, cfg.textLength()); // row 1 (if any) stays padding = null prompt
            NDArray[] text = model.text(m, ids, S);
            // x stays on the model's device through the Euler steps: no copy to Java per step (a GPU sync each)
            NDArray xa;
            if (fixed != null) {
                xa = m.create(fixed.clone(), new Shape(1, N, P));
            } else {
                float[] noise = new float[N * P];
                Random r = new Random(noiseSeed);
                for (int i = 0; i < noise.length; i++) {
                    noise[i] = (float) r.nextGaussian();
                }
                xa = m.create(noise, new Shape(1, N, P));                            // [1, N, P]
                int steps = cfg.denoiseSteps();
                for (int s = 0; s < steps; s++) {
                    float t = 1f - s / (float) steps, tNext = 1f - (s + 1) / (float) steps;
                    try (NDManager sm = m.newSubManager()) {
                        NDArray xs = xa.duplicate();
                        xs.attach(sm); // the forward pass's temporaries follow their first operand: into sm
                        float[] ts = new float[S];
                        java.util.Arrays.fill(ts, t);
                        if (S == 2) {
                            xs = xs.concat(xs, 0);
                        }
                        NDArray v = model.velocity(sm, xs, ts, firstFrame, text, ctx, null);
                        if (S == 2) { // classifier-free guidance: v = v_null + w (v_cond - v_null)
                            NDArray vc = v.get(0), vu = v.get(1);
                            v = vu.add(vc.sub(vu).mul((float) cfg.guidance())).reshape(1, N, P);
                        }
                        NDArray next = v.mul(tNext - t).add(xa);                     // x + (t' - t) v, as before in Java
                        next.attach(m);
                        xa.close();
                        xa = next;
                    }
                }
                NDArray clipped = xa.clip(-1f, 1f);
                xa.close();
                xa = clipped;
            }
            float[] x = xa.toFloatArray();                                           // once per chunk: the frames
            // clean pass at t = 0: the chunk's keys and values go to the cache
            List<NDArray[]> kv = new ArrayList<>();
            NDArray[] text1 = S == 1 ? text : new NDArray[] {text[0].get("0:1"), text[1].get("0:1")};
            model.velocity(m, xa, new float[] {0f}, firstFrame, text1, ctx, kv);
            cache.append(kv, firstFrame, scene);
            return new Result(x, (System.nanoTime() - t0) / 1e6);
        }
    }

    /**
     * Rolls out the first {@code chunks} chunks of a new scene for a group of G members at once, member g attending to
     * the history tokens {@code keep[g]} (equal lengths) plus its own new chunks. Every member uses the same noise, so
     * members differ only by their selection. The cache is not changed. Returns each member's tokens [chunks * N * P].
     */
    public static float[][] rollout(VideoModel model, KvCache cache, int[][] keep, int[] textIds, int firstFrame,
                                    int chunks, long noiseSeed) {
        ModelConfig cfg = model.config();
        int G = keep.length, N = cfg.tokensPerChunk(), P = cfg.patchDim(), depth = cfg.depth();
        float[][] out = new float[G][chunks * N * P];
        try (NDManager m = cache.configManagerFor(model); var ng = new org.inflvg.model.NoGrad()) {
            NDArray[][] hist = cache.gatherBatch(keep, m);                   // per layer [G, H, K, hd]
            NDArray[][] own = new NDArray[depth][2];                          // per layer [G, H, n, hd] of new chunks
            // classifier-free guidance as in generate(): the prompt and the null prompt (padding) encoded together;
            // each Euler step runs the group twice, [G conditional; G unconditional], both on the member's context
            boolean guided = Math.abs(cfg.guidance() - 1.0) > 1e-9;
            int[] ids = new int[(guided ? 2 : 1) * cfg.textLength()];
            System.arraycopy(textIds, 0, ids, 0, Math.min(textIds.length, cfg.textLength()));
            NDArray[] enc = model.text(m, ids, guided ? 2 : 1);
            // materialise the prompt for the whole group once (a broadcast view is slow in every block's matmul)
            NDArray[] text = {enc[0].get("0:1").repeat(0, G), enc[1].get("0:1").repeat(0, G)};
            NDArray[] textSteps = !guided ? text : new NDArray[] {text[0].concat(enc[0].get("1:2").repeat(0, G), 0),
                    text[1].concat(enc[1].get("1:2").repeat(0, G), 0)};
            int rows = guided ? 2 * G : G;
            for (int c = 0; c < chunks; c++) {
                NDArray[][] ctxKv = new NDArray[depth][2];
                for (int l = 0; l < depth; l++) {
                    for (int w = 0; w < 2; w++) {
                        NDArray a = hist[l][w], b = own[l][w];
                        ctxKv[l][w] = a == null ? b : b == null ? a : a.concat(b, 2);
                    }
                }
                int kept = ctxKv[0][0] == null ? 0 : (int) ctxKv[0][0].getShape().get(2);
                VideoModel.Context ctx = context(kept, ctxKv);
                VideoModel.Context stepCtx = ctx;
                if (guided && kept > 0) { // the unconditional rows attend to the same context
                    NDArray[][] twice = new NDArray[depth][2];
                    for (int l = 0; l < depth; l++) {
                        for (int w = 0; w < 2; w++) {
                            twice[l][w] = ctxKv[l][w].concat(ctxKv[l][w], 0);
                        }
                    }
                    stepCtx = context(kept, twice);
                }
                Random r = new Random(noiseSeed + c);
                float[] noise = new float[N * P];
                for (int i = 0; i < noise.length; i++) {
                    noise[i] = (float) r.nextGaussian();
                }
                float[] x0 = new float[G * N * P];
                for (int g = 0; g < G; g++) {
                    System.arraycopy(noise, 0, x0, g * N * P, N * P);
                }
                NDArray xa = m.create(x0, new Shape(G, N, P));                       // stays on the device
                int frame = firstFrame + c * cfg.chunkFrames();
                int steps = cfg.denoiseSteps();
                float[] ts = new float[rows];
                for (int s = 0; s < steps; s++) {
                    float t = 1f - s / (float) steps, tNext = 1f - (s + 1) / (float) steps;
                    java.util.Arrays.fill(ts, t);
                    try (NDManager sm = m.newSubManager()) {
                        NDArray xs = xa.duplicate();
                        xs.attach(sm);
                        if (guided) {
                            xs = xs.concat(xs, 0);
                        }
                        NDArray v = model.velocity(sm, xs, ts, frame, textSteps, stepCtx, null);
                        if (guided) { // v = v_null + w (v_cond - v_null), per member
                            NDArray vc = v.get("0:" + G), vu = v.get(G + ":");
                            v = vu.add(vc.sub(vu).mul((float) cfg.guidance()));
                        }
                        NDArray next = v.mul(tNext - t).add(xa);
                        next.attach(m);
                        xa.close();
                        xa = next;
                    }
                }
                NDArray clipped = xa.clip(-1f, 1f);
                xa.close();
                xa = clipped;
                float[] x = xa.toFloatArray();                                       // once per chunk
                for (int g = 0; g < G; g++) {
                    System.arraycopy(x, g * N * P, out[g], c * N * P, N * P);
                }
                if (c + 1 < chunks) {
                    List<NDArray[]> kv = new ArrayList<>();
                    model.velocity(m, xa, new float[G], frame, text, ctx, kv);           // clean pass, t = 0
                    for (int l = 0; l < depth; l++) {
                        for (int w = 0; w < 2; w++) {
                            own[l][w] = own[l][w] == null ? kv.get(l)[w] : own[l][w].concat(kv.get(l)[w], 2);
                        }
                    }
                }
            }
        }
        return out;
    }

    /** A context of {@code kept} tokens whose keys and values per layer are {@code kv[layer][0]}, {@code kv[layer][1]}. */
    private static VideoModel.Context context(int kept, NDArray[][] kv) {
        return new VideoModel.Context() {
            public int tokens() {
                return kept;
            }

            public NDArray keys(int layer) {
                return kv[layer][0];
            }

            public NDArray values(int layer) {
                return kv[layer][1];
            }
        };
    }
}
