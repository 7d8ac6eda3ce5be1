package org.inflvg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayList;
import java.util.List;

/**
 * A frozen copy of {@link TinyDiT}'s forward passes as they were before the op-count work (commit c57a8b8): the
 * reference the faster implementation is tested against ({@code TinyDiTSpeedTest}) and benchmarked beside
 * ({@code TinyDiTBench}). It reads the weights of a live model and owns nothing but its constant tables.
 */
final class TinyDiTReference implements VideoModel {

    private final ModelConfig cfg;
    private final Vocabulary vocab;
    private final Weights w;
    private final NDManager constants;
    private final NDArray ones, zeros, ropeCos, ropeSin, ropeRot;

    TinyDiTReference(TinyDiT model) {
        this.cfg = model.config();
        this.vocab = model.vocabulary();
        this.w = model.weights();
        this.constants = w.manager().newSubManager();
        int d = cfg.dim();
        ones = constants.ones(new Shape(d));
        zeros = constants.zeros(new Shape(d));
        NDArray[] rope = ropeTables();
        ropeCos = rope[0];
        ropeSin = rope[1];
        ropeRot = rope[2];
    }

    @Override
    public ModelConfig config() {
        return cfg;
    }

    @Override
    public String name() {
        return "tinydit-reference";
    }

    @Override
    public String checksum() {
        return null;
    }

    /** The device the weights live on; every array of a forward pass must be created on it. */
    @Override
    public ai.djl.Device device() {
        return w.manager().getDevice();
    }

    /** cos, sin tables [N, hd] and the signed rotate-half matrix [hd, hd] for 2-D RoPE over a chunk's tokens. */
    private NDArray[] ropeTables() {
        int n = cfg.tokensPerChunk(), hd = cfg.headDim(), g = cfg.grid(), quarter = hd / 4;
        float[] cos = new float[n * hd], sin = new float[n * hd], rot = new float[hd * hd];
        for (int j = 0; j < n; j++) {
            int cell = j % cfg.tokensPerFrame(), row = cell / g, col = cell % g;
            for (int i = 0; i < hd; i++) {
                int group = i / (hd / 2);           // 0: row half, 1: column half
                int k = (i % (hd / 2)) % quarter;   // frequency index within the half
                double freq = Math.pow(100.0, -k / (double) quarter);
                double angle = (group == 0 ? row : col) * freq;
                cos[j * hd + i] = (float) Math.cos(angle);
                sin[j * hd + i] = (float) Math.sin(angle);
            }
        }
        // rotate_half within each half: (x1, x2) -> (-x2, x1); as x @ rot
        for (int half = 0; half < 2; half++) {
            int base = half * hd / 2;
            for (int k = 0; k < quarter; k++) {
                int a = base + k, b = base + k + quarter;
                rot[b * hd + a] = -1f; // out[a] = -x[b]
                rot[a * hd + b] = 1f;  // out[b] = x[a]
            }
        }
        return new NDArray[] {constants.create(cos, new Shape(n, hd)), constants.create(sin, new Shape(n, hd)),
            constants.create(rot, new Shape(hd, hd))};
    }

    // ---------------------------------------------------------------- building blocks

    private NDArray lin(NDArray x, String name) {
        return x.matMul(w.get(name + ".w")).add(w.get(name + ".b"));
    }

    private NDArray ln(NDArray x) {
        return LayerNorm.layerNorm(x, new Shape(cfg.dim()), ones, zeros, 1e-6f).singletonOrThrow();
    }

    private NDArray lnAffine(NDArray x, String name) {
        return LayerNorm.layerNorm(x, new Shape(cfg.dim()), w.get(name + ".g"), w.get(name + ".b"), 1e-5f)
                .singletonOrThrow();
    }

    private NDArray rope(NDArray x) { // x [S, H, N, hd]
        return x.mul(ropeCos).add(x.matMul(ropeRot).mul(ropeSin));
    }

    static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray bias) {
        NDArray s = q.matMul(k.transpose(0, 1, 3, 2));               // [S, H, Nq, Nk]
        if (bias != null) {
            s = s.add(bias);
        }
        return s.softmax(-1).matMul(v);                               // [S, H, Nq, hd]
    }

    /** Splits [S, N, 3d] into q, k, v of shape [S, H, N, hd]. */
    private NDArray[] heads3(NDArray qkv) {
        long s = qkv.getShape().get(0), n = qkv.getShape().get(1);
        NDArray t = qkv.reshape(s, n, 3, cfg.heads(), cfg.headDim()).transpose(2, 0, 3, 1, 4);
        return new NDArray[] {t.get(0), t.get(1), t.get(2)};
    }

    private NDArray merge(NDArray o) { // [S, H, N, hd] -> [S, N, d]
        long s = o.getShape().get(0), n = o.getShape().get(2);
        return o.transpose(0, 2, 1, 3).reshape(s, n, cfg.dim());
    }

    // ---------------------------------------------------------------- text

    /** Text tokens [B, L, d] and pooled text [B, d] of token ids [B, L]. */
    NDArray[] encodeText(NDManager m, int[] ids, int batch) {
        int L = cfg.textLength(), d = cfg.dim();
        float[] onehot = new float[batch * L * vocab.size()];
        for (int i = 0; i < batch * L; i++) {
            onehot[i * vocab.size() + ids[i]] = 1f;
        }
        NDArray e = m.create(onehot, new Shape(batch, L, vocab.size())).matMul(w.get("text.emb")).add(w.get("text.pos"));
        float scale = (float) (1 / Math.sqrt(cfg.headDim()));
        for (int l = 0; l < cfg.textLayers(); l++) {
            String n = "text." + l + ".";
            NDArray[] qkv = heads3(lin(lnAffine(e, n + "ln1"), n + "qkv"));
            e = e.add(lin(merge(attend(qkv[0].mul(scale), qkv[1], qkv[2], null)), n + "o"));
            e = e.add(lin(Activation.gelu(lin(lnAffine(e, n + "ln2"), n + "ff1")), n + "ff2"));
        }
        e = lnAffine(e, "text.ln");
        NDArray pooled = lin(e.mean(new int[] {1}), "text.pool");
        return new NDArray[] {e, pooled};
    }

    /** Token ids [L] of a prompt (errors on unknown words). */
    @Override
    public int[] tokenize(String prompt) {
        return vocab.encode(prompt, cfg.textLength());
    }

    // ---------------------------------------------------------------- conditioning

    /** Sinusoidal features of flow times (scaled by 1000) [S, d], then the time MLP, plus the pooled text. */
    private NDArray condition(NDManager m, float[] t, NDArray pooled) {
        int d = cfg.dim(), half = d / 2;
        float[] f = new float[t.length * d];
        for (int s = 0; s < t.length; s++) {
            for (int i = 0; i < half; i++) {
                double freq = Math.exp(-Math.log(10000) * i / half);
                double a = t[s] * 1000 * freq;
                f[s * d + i] = (float) Math.cos(a);
                f[s * d + half + i] = (float) Math.sin(a);
            }
        }
        NDArray te = lin(Activation.swish(lin(m.create(f, new Shape(t.length, d)), "t1"), 1f), "t2");
        return Activation.swish(te.add(pooled), 1f);
    }

    /** Learned frame-position embedding for tokens of sequences starting at {@code firstFrame[s]}: [S, N, d]. */
    private NDArray addFramePositions(NDManager m, NDArray h, int[] firstFrame) {
        int S = firstFrame.length, F = cfg.chunkFrames(), T = cfg.tokensPerFrame(), d = cfg.dim();
        float[] onehot = new float[S * F * cfg.maxFrames()];
        for (int s = 0; s < S; s++) {
            for (int f = 0; f < F; f++) {
                int frame = firstFrame[s] + f;
                if (frame < 0 || frame >= cfg.maxFrames()) {
                    throw new IllegalArgumentException("frame position " + frame + " is beyond the model's "
                            + cfg.maxFrames() + " frames (" + cfg.maxFrames() / cfg.sceneFrames() + " scenes)");
                }
                onehot[(s * F + f) * cfg.maxFrames() + frame] = 1f;
            }
        }
        NDArray pe = m.create(onehot, new Shape(S, F, cfg.maxFrames())).matMul(w.get("frame_pos"));
        return h.reshape(S, F, T, d).add(pe.reshape(S, F, 1, d)).reshape(S, (long) F * T, d);
    }

    /** How the self-attention of one block finds its keys: the training layout or a given context. */
    interface Attention {
        NDArray apply(int layer, NDArray q, NDArray k, NDArray v);
    }

    private NDArray block(int b, NDArray h, NDArray cond, NDArray text, Attention attn, List<NDArray[]> kvOut) {
        String n = "block." + b + ".";
        int d = cfg.dim();
        long S = h.getShape().get(0);
        NDList mod = lin(cond, n + "mod").reshape(S, 1, 6L * d).split(6, 2);
        NDArray a = ln(h).mul(mod.get(1).add(1f)).add(mod.get(0));
        NDArray[] qkv = heads3(lin(a, n + "qkv"));
        NDArray q = rope(qkv[0]).mul((float) (1 / Math.sqrt(cfg.headDim())));
        NDArray k = rope(qkv[1]);
        if (kvOut != null) {
            kvOut.add(new NDArray[] {k, qkv[2], q});
        }
        h = h.add(lin(merge(attn.apply(b, q, k, qkv[2])), n + "o").mul(mod.get(2)));
        // cross-attention to the prompt's text tokens
        NDArray xq = lin(lnAffine(h, n + "lnx"), n + "xq");
        long N = h.getShape().get(1), L = text.getShape().get(1);
        xq = xq.reshape(S, N, cfg.heads(), cfg.headDim()).transpose(0, 2, 1, 3)
                .mul((float) (1 / Math.sqrt(cfg.headDim())));
        NDArray kv = lin(text, n + "xkv").reshape(S, L, 2, cfg.heads(), cfg.headDim()).transpose(2, 0, 3, 1, 4);
        h = h.add(lin(merge(attend(xq, kv.get(0), kv.get(1), null)), n + "xo"));
        NDArray f = ln(h).mul(mod.get(4).add(1f)).add(mod.get(3));
        f = lin(Activation.gelu(lin(f, n + "ff1")), n + "ff2");
        return h.add(f.mul(mod.get(5)));
    }

    private NDArray head(NDArray h, NDArray cond) {
        long S = h.getShape().get(0);
        NDList mod = lin(cond, "final.mod").reshape(S, 1, 2L * cfg.dim()).split(2, 2);
        NDArray z = ln(h).mul(mod.get(1).add(1f)).add(mod.get(0));
        NDArray out = lin(z, "final.out");
        int c = cfg.convChannels();
        if (c > 0) { // C features per pixel, refined across patch borders by a 3x3 convolution, added to the output
            NDArray img = conv3x3(toImages(lin(z, "final.feat"), c), "head.conv");
            out = out.add(toTokens(img, S, 3));
        }
        return out;
    }

    /** Token embedding of chunk tokens [S, N, P]: the patch's linear map, plus the convolutional stem's when present. */
    private NDArray embed(NDArray x) {
        NDArray h = lin(x, "patch_in");
        int c = cfg.convChannels();
        if (c > 0) {
            NDArray f = Activation.gelu(conv3x3(toImages(x, 3), "stem.conv"));
            h = h.add(lin(toTokens(f, x.getShape().get(0), c), "stem_in"));
        }
        return h;
    }

    private NDArray conv3x3(NDArray img, String name) {
        Shape one = new Shape(1, 1);
        return ai.djl.nn.convolutional.Conv2d.conv2d(img, w.get(name + ".w"), w.get(name + ".b"), one, one, one, 1)
                .singletonOrThrow();
    }

    /** Tokens [S, N, patch*patch*c] (values in (py, px, channel) order) to frames [S*F, c, H, W]. */
    NDArray toImages(NDArray tok, int c) {
        long S = tok.getShape().get(0);
        int F = cfg.chunkFrames(), g = cfg.grid(), p = cfg.patch();
        return tok.reshape(S, F, g, g, p, p, c).transpose(0, 1, 6, 2, 4, 3, 5).reshape(S * F, c, g * p, g * p);
    }

    /** Frames [S*F, c, H, W] back to tokens [S, N, patch*patch*c]. */
    NDArray toTokens(NDArray img, long S, int c) {
        int F = cfg.chunkFrames(), g = cfg.grid(), p = cfg.patch();
        return img.reshape(S, F, c, g, p, g, p).transpose(0, 1, 3, 5, 4, 6, 2).reshape(S, (long) F * g * g, (long) p * p * c);
    }

    // ---------------------------------------------------------------- training (teacher forcing)

    /**
     * The flow-matching loss of a batch of single-scene clips under teacher forcing: a clean stream (t = 0, what the
     * KV cache would hold) and a noisy stream, where chunk c of the noisy stream attends to the clean keys and values
     * of chunks 0..c-1 of its clip plus its own tokens, exactly as in generation. Returns the scalar mean squared error.
     */
    public NDArray trainingLoss(NDManager m, TrainBatch tb) {
        int B = tb.batch(), C = tb.chunks(), N = cfg.tokensPerChunk(), P = cfg.patchDim(), d = cfg.dim();
        int S = 2 * B * C;
        Shape clip = new Shape(B, C, N, P);
        NDArray x0 = m.create(tb.clean(), clip);                          // [B, C, N, P] in [-1, 1]
        NDArray eps = m.create(tb.noise(), clip);
        NDArray t = m.create(tb.t(), new Shape(B, C, 1, 1));
        NDArray xt = x0.mul(t.neg().add(1f)).add(eps.mul(t));
        NDArray h = embed(NDArrays.stack(x0, xt).reshape(S, N, P));             // [S, N, d], S = (stream, b, c)
        int[] first = new int[S];
        float[] ts = new float[S];
        for (int s = 0; s < S; s++) {
            int stream = s / (B * C), b = (s / C) % B, c = s % C;
            first[s] = tb.firstFrame()[b] + c * cfg.chunkFrames();
            ts[s] = stream == 0 ? 0f : tb.t()[b * C + c];
        }
        h = addFramePositions(m, h, first);
        NDArray[] text = encodeText(m, tb.textIds(), B);
        int L = cfg.textLength();
        NDArray textS = text[0].reshape(1, B, 1, L, d).broadcast(new Shape(2, B, C, L, d)).reshape(S, L, d);
        NDArray pooledS = text[1].reshape(1, B, 1, d).broadcast(new Shape(2, B, C, d)).reshape(S, d);
        NDArray cond = condition(m, ts, pooledS);
        NDArray bias = contextDropBias(m, tb, C, N);
        Attention teacher = (layer, q, k, v) -> teacherForcing(q, k, v, B, C, bias);
        for (int b = 0; b < cfg.depth(); b++) {
            h = block(b, h, cond, textS, teacher, null);
        }
        NDArray hn = h.reshape(2, (long) B * C, N, d).get(1);
        NDArray cn = cond.reshape(2, (long) B * C, d).get(1);
        NDArray v = head(hn, cn);                                           // [B*C, N, P]
        NDArray target = eps.sub(x0).reshape(B * C, N, P);
        return v.sub(target).square().mean();
    }

    /** -30000 on the context keys of noisy-stream samples whose context is dropped: [2B, 1, 1, C*N] (sliced per chunk). */
    private NDArray contextDropBias(NDManager m, TrainBatch tb, int C, int N) {
        int B = tb.batch();
        boolean any = false;
        for (boolean x : tb.dropContext()) {
            any |= x;
        }
        if (!any) {
            return null;
        }
        float[] bias = new float[2 * B * C * N];
        for (int b = 0; b < B; b++) {
            if (tb.dropContext()[b]) {
                java.util.Arrays.fill(bias, (B + b) * C * N, (B + b + 1) * C * N, -30000f);
            }
        }
        return m.create(bias, new Shape(2L * B, 1, 1, (long) C * N));
    }

    private NDArray teacherForcing(NDArray q, NDArray k, NDArray v, int B, int C, NDArray bias) {
        int H = cfg.heads(), N = cfg.tokensPerChunk(), hd = cfg.headDim();
        Shape six = new Shape(2, B, C, H, N, hd);
        NDArray q6 = q.reshape(six), k6 = k.reshape(six), v6 = v.reshape(six);
        List<NDArray> outs = new ArrayList<>();
        for (int c = 0; c < C; c++) {
            NDIndex at = new NDIndex(":, :, " + c);
            NDArray qc = q6.get(at).reshape(2L * B, H, N, hd);
            NDArray kc = k6.get(at).reshape(2L * B, H, N, hd);
            NDArray vc = v6.get(at).reshape(2L * B, H, N, hd);
            NDArray bc = null;
            if (c > 0) {
                NDIndex ctx = new NDIndex("0, :, 0:" + c);                   // clean stream, earlier chunks
                Shape both = new Shape(2, B, H, (long) c * N, hd);
                NDArray ck = k6.get(ctx).transpose(0, 2, 1, 3, 4).reshape(1, B, H, (long) c * N, hd).broadcast(both)
                        .reshape(2L * B, H, (long) c * N, hd);
                NDArray cv = v6.get(ctx).transpose(0, 2, 1, 3, 4).reshape(1, B, H, (long) c * N, hd).broadcast(both)
                        .reshape(2L * B, H, (long) c * N, hd);
                kc = ck.concat(kc, 2);
                vc = cv.concat(vc, 2);
                if (bias != null) {
                    bc = bias.get(new NDIndex(":, :, :, 0:" + (c * N))).concat(
                            bias.zerosLike().get(new NDIndex(":, :, :, 0:" + N)), 3);
                }
            }
            outs.add(attend(qc, kc, vc, bc).reshape(2, B, H, N, hd));
        }
        return NDArrays.stack(outs, 2).reshape(2L * B * C, H, N, hd);
    }

    // ---------------------------------------------------------------- generation

    /** Text state of a batch of prompts (token ids [S*L]) for generation. */
    @Override
    public NDArray[] text(NDManager m, int[] ids, int batch) {
        return encodeText(m, ids, batch);
    }

    /**
     * Velocity of chunk tokens {@code x} [S, N, P] at flow times {@code t[S]}, attending to the given context (kept
     * keys and values per layer, [1 or S, H, M, hd], or null for none) and to text [S, L, d] / pooled [S, d].
     * When {@code kvOut} is not null, the chunk's own keys, values and scaled queries per layer are appended to it.
     */
    @Override
    public NDArray velocity(NDManager m, NDArray x, float[] t, int firstFrame, NDArray[] text, Context ctx,
                            List<NDArray[]> kvOut) {
        int S = t.length;
        if (text[0].getShape().get(0) != S) { // one prompt for a whole batch (e.g. GRPO rollouts)
            Shape ts = text[0].getShape();
            text = new NDArray[] {text[0].broadcast(new Shape(S, ts.get(1), ts.get(2))),
                text[1].broadcast(new Shape(S, text[1].getShape().get(1)))};
        }
        int[] first = new int[S];
        java.util.Arrays.fill(first, firstFrame);
        NDArray h = addFramePositions(m, embed(x), first);
        NDArray cond = condition(m, t, text[1]);
        Attention attn = (layer, q, k, v) -> {
            if (ctx == null || ctx.tokens() == 0) {
                return attend(q, k, v, null);
            }
            NDArray ck = ctx.keys(layer), cv = ctx.values(layer);
            if (ck.getShape().get(0) != S) {
                Shape sh = new Shape(S, ck.getShape().get(1), ck.getShape().get(2), ck.getShape().get(3));
                ck = ck.broadcast(sh);
                cv = cv.broadcast(sh);
            }
            if (ctx.recordsAttention()) { // the same operations as attend(), keeping the probabilities
                NDArray p = q.matMul(ck.concat(k, 2).transpose(0, 1, 3, 2)).softmax(-1); // [S, H, Nq, M + Nq]
                int kept = ctx.tokens();
                ctx.attended(layer, p.get(new NDIndex(":, :, :, 0:" + kept)).reshape(-1, kept).mean(new int[] {0}));
                return p.matMul(cv.concat(v, 2));
            }
            return attend(q, ck.concat(k, 2), cv.concat(v, 2), null);
        };
        for (int b = 0; b < cfg.depth(); b++) {
            h = block(b, h, cond, text[0], attn, kvOut);
        }
        return head(h, cond);
    }

    /** Keys that layer {@code layer}'s self-attention would give to hidden states {@code h} [.., d] (no RoPE). */
    @Override
    public NDArray keyProjection(int layer, NDArray h) {
        int d = cfg.dim();
        NDArray wq = w.get("block." + layer + ".qkv.w"), bq = w.get("block." + layer + ".qkv.b");
        NDArray wk = wq.get(new NDIndex(":, " + d + ":" + 2 * d)), bk = bq.get(new NDIndex(d + ":" + 2 * d));
        NDArray out = h.matMul(wk).add(bk);
        wk.close();
        bk.close();
        return out;
    }

    @Override
    public void close() {
        constants.close();
    }

    @Override
    public String toString() {
        return "TinyDiTReference[" + cfg.dim() + "d x " + cfg.depth() + " blocks, " + cfg.heads() + " heads, " + w.count()
                + " parameters, " + cfg.frameSize() + "px frames, chunks of " + cfg.chunkFrames() + " frames]";
    }

    /** Small helpers missing from NDArray. */
    static final class NDArrays {
        static NDArray stack(NDArray a, NDArray b) {
            return a.expandDims(0).concat(b.expandDims(0), 0);
        }

        static NDArray stack(List<NDArray> xs, int axis) {
            NDList l = new NDList();
            for (NDArray x : xs) {
                l.add(x.expandDims(axis));
            }
            return ai.djl.ndarray.NDArrays.concat(l, axis);
        }
    }
}
