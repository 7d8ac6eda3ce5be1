package org.inflvg.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Manual benchmark (not a test): the shipped TinyDiT against its frozen pre-optimisation copy ({@link TinyDiTReference}),
 * interleaved in one process so that both see the same machine load. Prints DJL arrays created per velocity call and per
 * training forward (one JNI op each, roughly), then per round: ms per chunk without context, with 2 560 context
 * tokens, a GRPO rollout of G = 8 members (K = 128, 2 chunks), and a training step at batch 8 (forward + backward).
 *
 * <pre>java -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1 \
 *   -cp toolkit/target/test-classes:toolkit/target/classes:'toolkit/target/lib/*' org.inflvg.model.TinyDiTBench [rounds]</pre>
 */
public class TinyDiTBench {

    public static void main(String[] a) {
        int rounds = a.length > 0 ? Integer.parseInt(a[0]) : 7;
        try (NDManager root = NDManager.newBaseManager()) {
            TinyDiT model = ModelFiles.load(Path.of("data/tinydit"), root);
            TinyDiTReference ref = new TinyDiTReference(model);
            ModelConfig c = model.config();
            boolean ts = Boolean.getBoolean("bench.torchscript");        // -Dbench.torchscript=true: a third column
            VideoModel[] models = ts ? new VideoModel[] {ref, model,
                TorchScriptVideoModel.load(Path.of("data/external/tinydit-ts.pt"), model.device())}
                : new VideoModel[] {ref, model};
            String[] names = {"before", "after", "torchscript"};
            int K = models.length;
            KvCache cache = randomCache(c, root, 20);                       // 2 560 tokens
            int[] all = java.util.stream.IntStream.range(0, cache.size()).toArray();
            int[] ids = model.tokenize("A robot jumps on the beach");
            int first = 40;
            TrainBatch tb = batch(c, 8);
            for (int i = 0; i < 2; i++) {                                     // (TorchScript: one call, no count)
                System.out.printf("%s: arrays per velocity S=1 no context %d, 2560 context %d; per training forward "
                        + "(B=8) %d%n", names[i], countVelocity(models[i], root, cache, new int[0]),
                        countVelocity(models[i], root, cache, all), countTraining(models[i], root, tb));
            }
            model.weights().requireGradients();
            String[] what = {"chunk no ctx", "chunk 2560 ctx", "GRPO G=8", "train step B=8"};
            double[][][] ms = new double[K][what.length][rounds];
            for (int r = -1; r < rounds; r++) {                               // round -1 warms up
                for (int i = 0; i < K; i++) {
                    VideoModel vm = models[i];
                    double[] t = {
                        time(() -> chunk(vm, cache, new int[0], ids, first)),
                        time(() -> chunk(vm, cache, all, ids, first)),
                        time(() -> rollout(vm, cache, ids)),
                        i < 2 ? time(() -> trainStep(vm, model, root, tb)) : Double.NaN};
                    if (r >= 0) {
                        for (int k = 0; k < t.length; k++) {
                            ms[i][k][r] = t[k];
                        }
                    }
                }
            }
            System.out.printf("%-16s", "ms (median/best)");
            for (int i = 0; i < K; i++) {
                System.out.printf(" %18s", names[i]);
            }
            System.out.println();
            for (int k = 0; k < what.length; k++) {
                System.out.printf("%-16s", what[k]);
                for (int i = 0; i < K; i++) {
                    System.out.printf(" %10.0f / %5.0f", median(ms[i][k]), min(ms[i][k]));
                }
                System.out.println();
            }
            ref.close();
            if (ts) {
                models[2].close();
            }
        }
    }

    static KvCache randomCache(ModelConfig c, NDManager root, int chunks) {
        KvCache cache = new KvCache(c, root);
        Random r = new Random(7);
        Shape s = new Shape(1, c.heads(), c.tokensPerChunk(), c.headDim());
        try (NDManager m = root.newSubManager()) {
            for (int k = 0; k < chunks; k++) {
                List<NDArray[]> kv = new ArrayList<>();
                for (int l = 0; l < c.depth(); l++) {
                    kv.add(new NDArray[] {rand(m, r, s), rand(m, r, s)});
                }
                cache.append(kv, (k * c.chunkFrames()) % c.maxFrames(), k / c.chunksPerScene());
            }
        }
        return cache;
    }

    static NDArray rand(NDManager m, Random r, Shape s) {
        float[] v = new float[(int) s.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return m.create(v, s);
    }

    static TrainBatch batch(ModelConfig c, int B) {
        int C = c.chunksPerScene(), n = B * C * c.tokensPerChunk() * c.patchDim();
        Random r = new Random(0);
        float[] clean = new float[n], noise = new float[n];
        for (int i = 0; i < n; i++) {
            clean[i] = (float) Math.tanh(r.nextGaussian());
            noise[i] = (float) r.nextGaussian();
        }
        float[] t = new float[B * C];
        for (int i = 0; i < t.length; i++) {
            t[i] = r.nextFloat();
        }
        int[] ids = new int[B * c.textLength()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 1 + r.nextInt(10);
        }
        int[] first = new int[B];
        for (int b = 0; b < B; b++) {
            first[b] = 8 * r.nextInt(c.maxFrames() / 8);
        }
        boolean[] drop = new boolean[B];
        drop[0] = true;
        return new TrainBatch(B, C, clean, noise, t, first, ids, drop);
    }

    static void chunk(VideoModel vm, KvCache cache, int[] keep, int[] ids, int first) {
        try (NDManager m = cache.configManagerFor(vm); KvCache copy = cache.snapshot(cache.size(), m)) {
            ChunkGenerator.generate(vm, copy, keep, ids, first, 5, 11, null);
        }
    }

    static void rollout(VideoModel vm, KvCache cache, int[] ids) {
        int[][] keep = new int[8][128];
        Random r = new Random(3);
        for (int[] k : keep) {
            for (int i = 0; i < k.length; i++) {
                k[i] = r.nextInt(cache.size());
            }
        }
        ChunkGenerator.rollout(vm, cache, keep, ids, 40, 2, 13);
    }

    static void trainStep(VideoModel vm, TinyDiT model, NDManager root, TrainBatch tb) {
        try (NDManager step = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = loss(vm, step, tb);
            gc.backward(loss);
        }
        for (NDArray p : model.weights().all().values()) {
            p.getGradient().close();
        }
    }

    static NDArray loss(VideoModel vm, NDManager m, TrainBatch tb) {
        return vm instanceof TinyDiT t ? t.trainingLoss(m, tb) : ((TinyDiTReference) vm).trainingLoss(m, tb);
    }

    static int countVelocity(VideoModel vm, NDManager root, KvCache cache, int[] keep) {
        ModelConfig c = vm.config();
        try (NDManager m = root.newSubManager(); var ng = new NoGrad()) {
            VideoModel.Context ctx = keep.length == 0 ? null : cache.gather(keep, m);
            NDArray[] text = vm.text(m, vm.tokenize("A robot"), 1);
            NDArray x = rand(m, new Random(1), new Shape(1, c.tokensPerChunk(), c.patchDim()));
            vm.velocity(m, x, new float[] {0.5f}, 8, text, ctx, null);            // warm (lazy caches)
            int before = m.getManagedArrays().size();
            vm.velocity(m, x, new float[] {0.5f}, 8, text, ctx, null);
            return m.getManagedArrays().size() - before;
        }
    }

    static int countTraining(VideoModel vm, NDManager root, TrainBatch tb) {
        try (NDManager m = root.newSubManager(); var ng = new NoGrad()) {
            int before = m.getManagedArrays().size();
            loss(vm, m, tb);
            return m.getManagedArrays().size() - before;
        }
    }

    static double time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e6;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }
}
