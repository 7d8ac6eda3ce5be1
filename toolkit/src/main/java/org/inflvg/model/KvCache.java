package org.inflvg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * The KV cache InfLVG acts on: for every layer the keys (after RoPE) and values of every finished token, with each
 * token's (scene, frame, row, column). Storage grows by doubling, so appending a chunk copies only that chunk. A
 * selection of token indices is applied by gathering the kept keys and values once per chunk; attention cost then
 * depends on how many tokens are kept, not on the length of the video.
 */
public final class KvCache implements AutoCloseable {

    private final ModelConfig cfg;
    private final NDManager manager;
    private final NDArray[] keys, values;   // per layer [1, H, capacity, hd]
    private int size, capacity;
    private NDArray[] lastQueries;          // per layer [1, H, N, hd]: queries of the newest chunk's clean pass
    // queries of the last chunk before each scene's first token, by that token's index: what an attention-based
    // selector saw at the switch, kept so a snapshot taken at a scene start selects as the story did (one chunk a scene)
    private final java.util.TreeMap<Integer, NDArray[]> queriesAtSceneStart = new java.util.TreeMap<>();
    private int[] frame = new int[0], row = new int[0], col = new int[0], scene = new int[0];
    private boolean keepQueries = true;
    private long bookkeepingNanos;
    private AttentionProbe probe;

    public KvCache(ModelConfig cfg, NDManager parent) {
        this.cfg = cfg;
        this.manager = parent.newSubManager();
        this.keys = new NDArray[cfg.depth()];
        this.values = new NDArray[cfg.depth()];
        this.capacity = 0;
    }

    /** The device the keys and values live on (the model's). */
    public ai.djl.Device device() {
        return manager.getDevice();
    }

    /**
     * Whether the cache keeps the queries of each chunk's clean pass (the default). They are what the attention
     * selector ({@code attention:K}) and the attention columns of {@code Provenance} read; switching this off saves
     * that bookkeeping (one copy of the chunk's queries per layer) for runs that need neither — {@code inflvg bench
     * speed} measures what it costs. Takes effect for chunks appended afterwards.
     */
    public KvCache keepQueries(boolean keep) {
        this.keepQueries = keep;
        return this;
    }

    /**
     * Attaches {@code probe} (null detaches): contexts gathered afterwards report the attention the model pays their
     * tokens to it, at every denoising step and clean pass ({@link AttentionProbe}). Off by default.
     */
    public KvCache probe(AttentionProbe probe) {
        this.probe = probe;
        return this;
    }

    /** The attached probe, or null. */
    public AttentionProbe probe() {
        return probe;
    }

    /** Milliseconds this cache has spent keeping queries (the attention bookkeeping), for {@code bench speed}. */
    public double bookkeepingMillis() {
        return bookkeepingNanos / 1e6;
    }

    /** Whether the queries of the chunks' clean passes are kept (see {@link #keepQueries(boolean)}). */
    public boolean keepsQueries() {
        return keepQueries;
    }

    /** Number of cached tokens. */
    public int size() {
        return size;
    }

    public ModelConfig config() {
        return cfg;
    }

    public int frameOf(int token) {
        check(token);
        return frame[token];
    }

    public int rowOf(int token) {
        check(token);
        return row[token];
    }

    public int colOf(int token) {
        check(token);
        return col[token];
    }

    public int sceneOf(int token) {
        check(token);
        return scene[token];
    }

    /** Number of cached frames. */
    public int frames() {
        return size / cfg.tokensPerFrame();
    }

    /** Index of the first token of frame {@code f}. */
    public int firstTokenOfFrame(int f) {
        return f * cfg.tokensPerFrame();
    }

    /** Index of the first cached token of scene {@code s} (or size() if none). */
    public int firstTokenOfScene(int s) {
        for (int i = 0; i < size; i++) {
            if (scene[i] >= s) {
                return i;
            }
        }
        return size;
    }

    private void check(int token) {
        if (token < 0 || token >= size) {
            throw new IndexOutOfBoundsException("token " + token + " not in the cache (0.." + (size - 1) + ")");
        }
    }

    /**
     * Appends one chunk: per layer keys and values [1, H, N, hd] (N = tokens per chunk), starting at frame
     * {@code firstFrame} of scene {@code sceneIndex}.
     */
    public void append(List<NDArray[]> kv, int firstFrame, int sceneIndex) {
        if (kv.size() != cfg.depth()) {
            throw new IllegalArgumentException("expected keys and values for " + cfg.depth() + " layers, got " + kv.size());
        }
        int n = (int) kv.get(0)[0].getShape().get(2);
        ensureCapacity(size + n);
        for (int l = 0; l < cfg.depth(); l++) {
            NDIndex at = new NDIndex(":, :, " + size + ":" + (size + n) + ", :");
            keys[l].set(at, kv.get(l)[0]);
            values[l].set(at, kv.get(l)[1]);
        }
        if (keepQueries && kv.get(0).length > 2) {
            long b0 = System.nanoTime();
            if (lastQueries == null) {
                lastQueries = new NDArray[cfg.depth()];
            }
            boolean sceneStarts = size > 0 && scene[size - 1] != sceneIndex;
            if (sceneStarts && lastQueries[0] != null) {
                queriesAtSceneStart.put(size, lastQueries);
                lastQueries = new NDArray[cfg.depth()];
            }
            for (int l = 0; l < cfg.depth(); l++) {
                if (lastQueries[l] != null) {
                    lastQueries[l].close();
                }
                lastQueries[l] = kv.get(l)[2].duplicate();
                lastQueries[l].attach(manager);
            }
            bookkeepingNanos += System.nanoTime() - b0;
        }
        int g = cfg.grid(), tpf = cfg.tokensPerFrame();
        for (int j = 0; j < n; j++) {
            int cell = j % tpf;
            frame[size + j] = firstFrame + j / tpf;
            row[size + j] = cell / g;
            col[size + j] = cell % g;
            scene[size + j] = sceneIndex;
        }
        size += n;
    }

    private void ensureCapacity(int needed) {
        if (needed <= capacity) {
            return;
        }
        int cap = Math.max(needed, Math.max(512, capacity * 2));
        Shape shape = new Shape(1, cfg.heads(), cap, cfg.headDim());
        for (int l = 0; l < cfg.depth(); l++) {
            NDArray k = manager.zeros(shape), v = manager.zeros(shape);
            if (size > 0) {
                NDIndex used = new NDIndex(":, :, 0:" + size + ", :");
                try (NDArray ok = keys[l].get(used); NDArray ov = values[l].get(used)) {
                    k.set(used, ok);
                    v.set(used, ov);
                }
                keys[l].close();
                values[l].close();
            }
            keys[l] = k;
            values[l] = v;
        }
        frame = Arrays.copyOf(frame, cap);
        row = Arrays.copyOf(row, cap);
        col = Arrays.copyOf(col, cap);
        scene = Arrays.copyOf(scene, cap);
        capacity = cap;
    }

    /**
     * A new cache holding a copy of this cache's first {@code tokens} tokens (keys, values and positions of every
     * layer), as it stood when token {@code tokens} was about to be written: {@code tokens} must be this cache's size or
     * the first token of a scene. The queries an attention-based selector reads are those of the chunk written just
     * before, so a selector run on the snapshot sees what it saw at that scene switch. This cache is not changed; close
     * the snapshot (or {@code parent}) to free it. Counterfactual replay generates on snapshots instead of regenerating
     * earlier scenes.
     */
    public KvCache snapshot(int tokens, NDManager parent) {
        boolean atEnd = tokens == size;
        if (tokens < 0 || tokens > size || (!atEnd && tokens > 0 && scene[tokens - 1] == scene[tokens])) {
            throw new IllegalArgumentException("a snapshot is taken at a scene start or at the end of the cache ("
                    + size + " tokens); token " + tokens + " is inside scene " + (tokens < size ? scene[tokens] : "?")
                    + " (use firstTokenOfScene(s))");
        }
        KvCache copy = new KvCache(cfg, parent);
        copy.keepQueries = keepQueries;
        // room for one more scene up front: a replay then never grows (and copies) the snapshot while it generates
        copy.ensureCapacity(tokens + cfg.tokensPerFrame() * cfg.sceneFrames());
        if (tokens > 0) {
            NDIndex used = new NDIndex(":, :, 0:" + tokens + ", :");
            for (int l = 0; l < cfg.depth(); l++) {
                try (NDArray k = keys[l].get(used); NDArray v = values[l].get(used)) {
                    copy.keys[l].set(used, k);
                    copy.values[l].set(used, v);
                }
            }
            System.arraycopy(frame, 0, copy.frame, 0, tokens);
            System.arraycopy(row, 0, copy.row, 0, tokens);
            System.arraycopy(col, 0, copy.col, 0, tokens);
            System.arraycopy(scene, 0, copy.scene, 0, tokens);
            copy.size = tokens;
        }
        NDArray[] q = atEnd ? lastQueries : queriesAtSceneStart.get(tokens);
        if (q != null && q[0] != null) {
            copy.lastQueries = new NDArray[cfg.depth()];
            for (int l = 0; l < cfg.depth(); l++) {
                copy.lastQueries[l] = q[l].duplicate();
                copy.lastQueries[l].attach(copy.manager);
            }
        }
        for (var e : queriesAtSceneStart.headMap(tokens, false).entrySet()) {
            NDArray[] qs = new NDArray[cfg.depth()];
            for (int l = 0; l < cfg.depth(); l++) {
                qs[l] = e.getValue()[l].duplicate();
                qs[l].attach(copy.manager);
            }
            copy.queriesAtSceneStart.put(e.getKey(), qs);
        }
        return copy;
    }

    /** Keys of layer {@code layer} for all cached tokens, heads merged: [size, dim], in {@code m}. */
    public NDArray keys(int layer, NDManager m) {
        NDArray k = keys[layer].get(new NDIndex("0, :, 0:" + size + ", :"));      // [H, size, hd]
        k.attach(m); // before any op: the transpose would otherwise live in the cache's manager until the story ends
        return k.transpose(1, 0, 2).reshape(size, cfg.dim());
    }

    /**
     * The kept context for a chunk: the tokens at {@code indices} (any order, no duplicates) gathered once from every
     * layer, in {@code m}. An empty array gives no context.
     */
    public VideoModel.Context gather(int[] indices, NDManager m) {
        for (int i : indices) {
            check(i);
        }
        int kept = indices.length;
        NDArray[] k = new NDArray[cfg.depth()], v = new NDArray[cfg.depth()];
        if (kept > 0) {
            boolean prefix = true;
            for (int i = 0; i < kept; i++) {
                prefix &= indices[i] == i;
            }
            NDArray idx = prefix ? null : m.create(Arrays.stream(indices).asLongStream().toArray());
            for (int l = 0; l < cfg.depth(); l++) {
                if (prefix) { // a slice, no index gather
                    NDIndex used = new NDIndex(":, :, 0:" + kept + ", :");
                    k[l] = keys[l].get(used);
                    v[l] = values[l].get(used);
                } else {
                    NDIndex pick = new NDIndex(":, :, {}, :", idx);
                    k[l] = keys[l].get(pick);
                    v[l] = values[l].get(pick);
                }
                k[l].attach(m);
                v[l].attach(m);
            }
        }
        AttentionProbe p = probe;
        return new VideoModel.Context() {
            @Override
            public int tokens() {
                return kept;
            }

            @Override
            public boolean recordsAttention() {
                return p != null && kept > 0;
            }

            @Override
            public void attended(int layer, NDArray share) {
                if (p != null) {
                    p.record(indices, share.toFloatArray());
                }
            }

            @Override
            public NDArray keys(int layer) {
                return k[layer];
            }

            @Override
            public NDArray values(int layer) {
                return v[layer];
            }
        };
    }

    /** A fresh child manager of the cache's parent for one chunk's temporaries. */
    NDManager configManagerFor(VideoModel model) {
        return manager.getParentManager().newSubManager();
    }

    /**
     * Attention that the newest chunk's queries paid to each of the first {@code history} cached tokens, averaged over
     * layers, heads and queries (softmax over those tokens only): [history] floats. Used by the H2O-style selector.
     */
    public float[] attentionFromLastChunk(int history, NDManager m) {
        if (lastQueries == null || history == 0) {
            throw new IllegalStateException(keepQueries ? "no chunk has been written to the cache yet"
                    : "this cache does not keep queries (keepQueries(false)), so attention cannot be read from it; "
                            + "keep them (the default) to use attention:K or provenance attention");
        }
        try (NDManager s = m.newSubManager()) {
            NDArray acc = null;                                                     // [history], on the device
            for (int l = 0; l < cfg.depth(); l++) {
                NDArray k = keys[l].get(new NDIndex(":, :, 0:" + history + ", :"));
                k.attach(s);
                NDArray q = lastQueries[l].duplicate();
                q.attach(s);
                NDArray p = q.matMul(k.transpose(0, 1, 3, 2)).softmax(-1);          // [1, H, N, history]
                NDArray mean = p.reshape(-1, history).mean(new int[] {0}).div(cfg.depth());
                acc = acc == null ? mean : acc.add(mean);
            }
            return acc.toFloatArray();                                              // one read, not one per layer
        }
    }

    /**
     * Attention that the chunk whose last token is {@code end - 1} paid, in its clean pass, to each token of its context
     * {@code context} (cache indices, the chunk's own tokens included), softmax over that context, averaged over layers,
     * heads and the chunk's queries: [context.length], summing to 1. {@code end} must be the cache's size (the newest
     * chunk) or the first token of a scene (the last chunk before it: the queries kept for attention selectors), so
     * reading it costs nothing while generating. Returns null when those queries were not kept.
     */
    public float[] attentionOfChunkEndingAt(int end, int[] context, NDManager m) {
        NDArray[] q = end == size ? lastQueries : queriesAtSceneStart.get(end);
        if (q == null || q[0] == null || context.length == 0) {
            return null;
        }
        for (int i : context) {
            check(i);
        }
        try (NDManager s = m.newSubManager()) {
            NDArray idx = s.create(Arrays.stream(context).asLongStream().toArray());
            NDArray acc = null;                                                            // [C], on the device
            for (int l = 0; l < cfg.depth(); l++) {
                NDArray k = keys[l].get(new NDIndex(":, :, {}, :", idx));                  // [1, H, C, hd]
                k.attach(s);
                NDArray ql = q[l].duplicate();
                ql.attach(s);
                NDArray p = ql.matMul(k.transpose(0, 1, 3, 2)).softmax(-1);                 // [1, H, N, C]
                NDArray mean = p.reshape(-1, context.length).mean(new int[] {0}).div(cfg.depth());
                acc = acc == null ? mean : acc.add(mean);
            }
            return acc.toFloatArray();                                                     // one read
        }
    }

    /**
     * Per-member kept context for a batch of G rollouts: member g keeps {@code keep[g]} (all of equal length). Returns
     * per layer keys and values [G, H, K, hd] in {@code m}.
     */
    public NDArray[][] gatherBatch(int[][] keep, NDManager m) {
        int G = keep.length, K = keep[0].length;
        long[] flat = new long[G * K];
        for (int g = 0; g < G; g++) {
            if (keep[g].length != K) {
                throw new IllegalArgumentException("every member of a group must keep the same number of tokens");
            }
            for (int i = 0; i < K; i++) {
                check(keep[g][i]);
                flat[g * K + i] = keep[g][i];
            }
        }
        NDArray[][] out = new NDArray[cfg.depth()][2];
        if (K == 0) {
            return out;
        }
        NDArray idx = m.create(flat);
        for (int l = 0; l < cfg.depth(); l++) {
            for (int which = 0; which < 2; which++) {
                NDArray src = which == 0 ? keys[l] : values[l];
                NDArray g = src.get(new NDIndex(":, :, {}, :", idx));                // [1, H, G*K, hd]
                g.attach(m);
                out[l][which] = g.reshape(cfg.heads(), G, K, cfg.headDim()).transpose(1, 0, 2, 3)
                        .reshape(G, cfg.heads(), K, cfg.headDim()); // contiguous copy: reused by every step
            }
        }
        return out;
    }

    /** Native bytes held by the cache (keys and values of all layers at current capacity). */
    public long bytes() {
        return 2L * cfg.depth() * cfg.heads() * (long) capacity * cfg.headDim() * 4;
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return "KvCache[" + size + " tokens, " + frames() + " frames, " + cfg.depth() + " layers]";
    }
}
