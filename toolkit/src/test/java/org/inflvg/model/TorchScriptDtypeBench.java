package org.inflvg.model;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;

/**
 * Manual benchmark (not a test): the float32 and the bfloat16 TorchScript exports of the shipped TinyDiT, interleaved in
 * one process so that both see the same machine load. Per round: ms per chunk (4 Euler steps and the cache pass)
 * without context and with 2 560 context tokens, and a GRPO rollout of G = 8 members (K = 128, 2 chunks). Prints the
 * median and best of each and the bfloat16 / float32 ratio of the medians.
 *
 * <pre>java -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1 \
 *   -cp toolkit/target/test-classes:toolkit/target/classes:'toolkit/target/lib/*' org.inflvg.model.TorchScriptDtypeBench [rounds]</pre>
 */
public class TorchScriptDtypeBench {

    public static void main(String[] a) {
        int rounds = a.length > 0 ? Integer.parseInt(a[0]) : 7;
        try (NDManager root = NDManager.newBaseManager()) {
            VideoModel[] models = {
                TorchScriptVideoModel.load(Path.of("data/external/tinydit-ts.pt"), root.getDevice(), "float32"),
                TorchScriptVideoModel.load(Path.of("data/external/tinydit-ts-bf16.pt"), root.getDevice(), "bfloat16")};
            String[] names = {"float32", "bfloat16"};
            ModelConfig c = models[0].config();
            KvCache cache = TinyDiTBench.randomCache(c, root, 20);                   // 2 560 tokens
            int[] all = java.util.stream.IntStream.range(0, cache.size()).toArray();
            int[] ids = models[0].tokenize("A robot jumps on the beach");
            String[] what = {"chunk no ctx", "chunk 2560 ctx", "GRPO G=8"};
            double[][][] ms = new double[2][what.length][rounds];
            for (int r = -1; r < rounds; r++) {                                      // round -1 warms up
                for (int i = 0; i < 2; i++) {
                    VideoModel vm = models[i];
                    double[] t = {
                        TinyDiTBench.time(() -> TinyDiTBench.chunk(vm, cache, new int[0], ids, 40)),
                        TinyDiTBench.time(() -> TinyDiTBench.chunk(vm, cache, all, ids, 40)),
                        TinyDiTBench.time(() -> TinyDiTBench.rollout(vm, cache, ids))};
                    if (r >= 0) {
                        for (int k = 0; k < t.length; k++) {
                            ms[i][k][r] = t[k];
                        }
                    }
                }
            }
            System.out.printf("%-16s %18s %18s %8s%n", "ms (median/best)", names[0], names[1], "bf16/fp32");
            for (int k = 0; k < what.length; k++) {
                double m0 = TinyDiTBench.median(ms[0][k]), m1 = TinyDiTBench.median(ms[1][k]);
                System.out.printf("%-16s %10.0f / %5.0f %10.0f / %5.0f %8.2f%n", what[k], m0,
                        TinyDiTBench.min(ms[0][k]), m1, TinyDiTBench.min(ms[1][k]), m1 / m0);
            }
            for (VideoModel vm : models) {
                vm.close();
            }
        }
    }
}
