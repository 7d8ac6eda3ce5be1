package org.inflvg.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Reference equivalence: the loss computed by the training path (clean and noisy streams, gathered context per chunk)
 * equals the loss computed through the generation path (clean chunks written to a KV cache one by one at t = 0, then
 * each noisy chunk's velocity with the cached context). If they differ, the model is trained on a different
 * computation than the one it generates with.
 */
class TeacherForcingEquivalenceTest {

    static final ModelConfig SMALL = new ModelConfig(16, 4, 2, 3, 32, 2, 2, 1, 8, 24, 2, 1.0);

    static void randomise(TinyDiT m, long seed) {
        Random r = new Random(seed);
        for (NDArray p : m.weights().all().values()) {
            float[] v = p.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                v[i] += (float) (r.nextGaussian() * 0.05);
            }
            p.set(v);
        }
    }

    @Test
    void trainingLossEqualsGenerationPathLoss() {
        equivalence(SMALL);
    }

    /** The same with the convolutional stem and head (their weights perturbed away from zero too). */
    @Test
    void trainingLossEqualsGenerationPathLossWithTheConvolutionalStemAndHead() {
        equivalence(SMALL.withConv(4));
    }

    static void equivalence(ModelConfig SMALL) {
        try (NDManager root = NDManager.newBaseManager()) {
            TinyDiT model = TinyDiT.create(SMALL, root, 3);
            randomise(model, 4);
            int C = SMALL.chunksPerScene(), N = SMALL.tokensPerChunk(), P = SMALL.patchDim(), L = SMALL.textLength();
            Random r = new Random(5);
            float[] clean = new float[C * N * P], noise = new float[C * N * P], t = new float[C];
            for (int i = 0; i < clean.length; i++) {
                clean[i] = (float) Math.tanh(r.nextGaussian());
                noise[i] = (float) r.nextGaussian();
            }
            for (int c = 0; c < C; c++) {
                t[c] = 0.2f + 0.25f * c;
            }
            int[] ids = model.tokenize("A robot jumps on the beach");
            int first = 6;
            double trainLoss;
            try (NDManager m = root.newSubManager()) {
                trainLoss = model.trainingLoss(m, new TrainBatch(1, C, clean, noise, t, new int[] {first}, ids,
                        new boolean[] {false})).getFloat();
            }
            double genLoss = 0;
            try (NDManager m = root.newSubManager(); KvCache cache = new KvCache(SMALL, m)) {
                NDArray[] text = model.text(m, ids, 1);
                for (int c = 0; c < C; c++) {
                    int[] keep = java.util.stream.IntStream.range(0, cache.size()).toArray();
                    VideoModel.Context ctx = cache.gather(keep, m);
                    float[] x0 = java.util.Arrays.copyOfRange(clean, c * N * P, (c + 1) * N * P);
                    float[] eps = java.util.Arrays.copyOfRange(noise, c * N * P, (c + 1) * N * P);
                    float[] xt = new float[x0.length];
                    for (int i = 0; i < xt.length; i++) {
                        xt[i] = (1 - t[c]) * x0[i] + t[c] * eps[i];
                    }
                    float[] v = model.velocity(m, m.create(xt, new Shape(1, N, P)), new float[] {t[c]},
                            first + c * SMALL.chunkFrames(), text, ctx, null).toFloatArray();
                    for (int i = 0; i < v.length; i++) {
                        double d = v[i] - (eps[i] - x0[i]);
                        genLoss += d * d;
                    }
                    List<NDArray[]> kv = new ArrayList<>();
                    model.velocity(m, m.create(x0, new Shape(1, N, P)), new float[] {0f}, first + c * SMALL.chunkFrames(),
                            text, ctx, kv);
                    cache.append(kv, first + c * SMALL.chunkFrames(), 0);
                }
                genLoss /= (double) C * N * P;
            }
            assertTrue(trainLoss > 0.1, "loss should be far from zero for a random model: " + trainLoss);
            assertEquals(trainLoss, genLoss, 1e-4 * trainLoss, "training and generation paths disagree");
        }
    }
}
