package org.inflvg.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.inflvg.TestModels;
import org.junit.jupiter.api.Test;

/**
 * The Euler steps run on the model's device (no copy to Java per step); this checks them bit for bit against the
 * Java-side loop they replaced, with and without classifier-free guidance.
 */
class ChunkGeneratorTest {

    /** The loop as it was: velocity copied to Java every step, x updated and clipped in Java floats. */
    static float[] reference(TinyDiT model, KvCache cache, int[] keep, int[] textIds, int firstFrame, int scene,
                             long noiseSeed) {
        ModelConfig cfg = model.config();
        int N = cfg.tokensPerChunk(), P = cfg.patchDim();
        try (NDManager m = cache.configManagerFor(model); var ng = new NoGrad()) {
            VideoModel.Context ctx = cache.gather(keep, m);
            int S = Math.abs(cfg.guidance() - 1.0) > 1e-9 ? 2 : 1;
            int[] ids = new int[S * cfg.textLength()];
            System.arraycopy(textIds, 0, ids, 0, cfg.textLength());
            NDArray[] text = model.text(m, ids, S);
            float[] x = new float[N * P];
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
                    if (S == 2) {
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
            List<NDArray[]> kv = new ArrayList<>();
            NDArray[] text1 = S == 1 ? text : new NDArray[] {text[0].get("0:1"), text[1].get("0:1")};
            model.velocity(m, m.create(x, new Shape(1, N, P)), new float[] {0f}, firstFrame, text1, ctx, kv);
            cache.append(kv, firstFrame, scene);
            return x;
        }
    }

    @Test
    void eulerStepsOnTheDeviceMatchTheJavaLoopBitForBit() {
        for (double guidance : new double[] {1.0, 3.0}) {
            ModelConfig cfg = TestModels.SMALL.withGuidance(guidance);
            try (NDManager root = NDManager.newBaseManager()) {
                TinyDiT model = TinyDiT.create(cfg, root, 1);
                Random r = new Random(2);
                for (NDArray p : model.weights().all().values()) { // move the zero-initialised outputs off zero
                    float[] v = p.toFloatArray();
                    for (int i = 0; i < v.length; i++) {
                        v[i] += (float) (r.nextGaussian() * 0.05);
                    }
                    p.set(v);
                }
                int[] ids = model.tokenize("A robot jumps on the beach");
                try (KvCache a = new KvCache(cfg, root); KvCache b = new KvCache(cfg, root)) {
                    for (int c = 0; c < 3; c++) {
                        int[] keep = IntStream.range(0, a.size()).filter(i -> i % 3 != 1).toArray();
                        int frame = c * cfg.chunkFrames();
                        float[] got = ChunkGenerator.generate(model, a, keep, ids, frame, 0, 10 + c, null).tokens();
                        float[] want = reference(model, b, keep, ids, frame, 0, 10 + c);
                        assertArrayEquals(want, got, 0f, "guidance " + guidance + ", chunk " + c);
                    }
                }
                model.close();
            }
        }
    }
}
