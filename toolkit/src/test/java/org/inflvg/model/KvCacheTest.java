package org.inflvg.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class KvCacheTest {

    static final ModelConfig CFG = TeacherForcingEquivalenceTest.SMALL;

    /** Appends chunks whose key value at (layer, head, token, dim) encodes the token's global index. */
    private static void fill(KvCache cache, NDManager m, int chunks) {
        int N = CFG.tokensPerChunk(), H = CFG.heads(), hd = CFG.headDim();
        for (int c = 0; c < chunks; c++) {
            List<NDArray[]> kv = new ArrayList<>();
            for (int l = 0; l < CFG.depth(); l++) {
                float[] k = new float[H * N * hd];
                for (int h = 0; h < H; h++) {
                    for (int j = 0; j < N; j++) {
                        for (int d = 0; d < hd; d++) {
                            k[(h * N + j) * hd + d] = (c * N + j) + 1000 * l;
                        }
                    }
                }
                NDArray ka = m.create(k, new Shape(1, H, N, hd));
                kv.add(new NDArray[] {ka, ka.neg()});
            }
            cache.append(kv, c * CFG.chunkFrames(), c / 2);
        }
    }

    @Test
    void gatherReturnsExactlyTheKeptTokensOfEveryLayer() {
        try (NDManager m = NDManager.newBaseManager(); KvCache cache = new KvCache(CFG, m)) {
            fill(cache, m, 20); // grows past the initial capacity of 512 tokens
            assertEquals(20 * CFG.tokensPerChunk(), cache.size());
            int[] keep = {0, 5, 63, 64, 300, cache.size() - 1};
            VideoModel.Context ctx = cache.gather(keep, m);
            assertEquals(keep.length, ctx.tokens());
            for (int l = 0; l < CFG.depth(); l++) {
                float[] k = ctx.keys(l).get("0, 0, :, 0").toFloatArray();
                float[] v = ctx.values(l).get("0, 1, :, 3").toFloatArray();
                for (int i = 0; i < keep.length; i++) {
                    assertEquals(keep[i] + 1000 * l, k[i], 1e-6);
                    assertEquals(-(keep[i] + 1000 * l), v[i], 1e-6);
                }
            }
        }
    }

    @Test
    void tokenMetadataTracksFramesRowsColumnsAndScenes() {
        try (NDManager m = NDManager.newBaseManager(); KvCache cache = new KvCache(CFG, m)) {
            fill(cache, m, 4);
            int tpf = CFG.tokensPerFrame(), g = CFG.grid();
            int tok = 2 * CFG.tokensPerChunk() + tpf + g + 1; // chunk 2, second frame, row 1, col 1
            assertEquals(5, cache.frameOf(tok));
            assertEquals(1, cache.rowOf(tok));
            assertEquals(1, cache.colOf(tok));
            assertEquals(1, cache.sceneOf(tok));
            assertEquals(2 * CFG.tokensPerChunk(), cache.firstTokenOfScene(1));
            assertThrows(IndexOutOfBoundsException.class, () -> cache.gather(new int[] {cache.size()}, m));
        }
    }

    @Test
    void keysForThePolicyMergeHeads() {
        try (NDManager m = NDManager.newBaseManager(); KvCache cache = new KvCache(CFG, m)) {
            fill(cache, m, 2);
            NDArray k = cache.keys(1, m);
            assertEquals(new Shape(cache.size(), CFG.dim()), k.getShape());
            assertArrayEquals(new float[] {1007, 1007}, k.get("7, 0:2").toFloatArray());
        }
    }
}
