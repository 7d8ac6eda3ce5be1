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
import java.util.Random;

/**
 * TinyDiT: a chunk-wise autoregressive flow-matching diffusion transformer over pixel patches (CausVid-style, tiny).
 *
 * <p>A chunk of {@code chunkFrames} frames is cut into patch tokens; each block does adaLN-modulated self-attention over
 * [kept context tokens] + [the chunk's own tokens] with 2-D RoPE on (row, column), cross-attention to the scene
 * prompt's text tokens, and an adaLN-modulated feed-forward. Frame position is a learned embedding added to the
 * tokens. Rectified flow: x_t = (1 - t) x0 + t eps, the network predicts v = eps - x0. Pixels are mapped to [-1, 1].
 *
 * <p>The forward passes are plain functions of the {@link Weights}; every intermediate array is created in the caller's
 * manager (activations are always the first operand), so closing that manager frees the step. This is the reference
 * implementation of {@link VideoModel}.
 */
public final class TinyDiT implements VideoModel {

    private final ModelConfig cfg;
    private final String checksum;
    private final Vocabulary vocab;
    private final Weights w;
    private final NDManager constants;
    private final NDArray ones, zeros, ropeCos, ropeSin, ropeRot;
    /** 0-d float32 scalars 1 and 1/sqrt(hd): what DJL's add(1f) / mul(float) make and free on every call. */
    private final NDArray one, qScale;
    /** The cross-attention keys and values of the last text seen in generation (see {@link #crossKeysValues}). */
    private volatile TextMemo textMemo;

    TinyDiT(ModelConfig cfg, Vocabulary vocab, NDManager parent, long seed) {
        this(cfg, vocab, parent, seed, null);
    }

    /** {@code checksum}: SHA-256 of the weights file about to be loaded into this model (null: made in memory). */
    TinyDiT(ModelConfig cfg, Vocabulary vocab, NDManager parent, long seed, String checksum) {
        this.cfg = cfg;
        this.checksum = checksum;
        this.vocab = vocab;
        this.w = new Weights(parent);
        this.constants = parent.newSubManager();
        int d = cfg.dim();
        ones = constants.ones(new Shape(d));
        zeros = constants.zeros(new Shape(d));
        NDArray[] rope = ropeTables();
        ropeCos = rope[0];
        ropeSin = rope[1];
        ropeRot = rope[2];
        one = constants.create(1f);
        qScale = constants.create((float) (1 / Math.sqrt(cfg.headDim())));
        initialise(new Random(seed));
    }

    /** A new, randomly initialised model. */
    public static TinyDiT create(ModelConfig cfg, NDManager manager, long seed) {
        return new TinyDiT(cfg, new Vocabulary(org.inflvg.world.Prompt.words()), manager, seed);
    }

    @Override
    public ModelConfig config() {
        return cfg;
    }

    @Override
    public String name() {
        return "tinydit";
    }

    @Override
    public String checksum() {
        return checksum;
    }

    public Vocabulary vocabulary() {
        return vocab;
    }

    public Weights weights() {
        return w;
    }

    /** The device the weights live on; every array of a forward pass must be created on it. */
    @Override
    public ai.djl.Device device() {
        return w.manager().getDevice();
    }

    private void initialise(Random r) {
        int d = cfg.dim(), p = cfg.patchDim(), v = vocab.size(), L = cfg.textLength();
        double s = 1 / Math.sqrt(d);
        w.normal("patch_in.w", r, 1 / Math.sqrt(p), p, d);
        w.constant("patch_in.b", 0, d);
        w.normal("frame_pos", r, 0.02, cfg.maxFrames(), d);
        w.normal("t1.w", r, s, d, d);
        w.constant("t1.b", 0, d);
        w.normal("t2.w", r, s, d, d);
        w.constant("t2.b", 0, d);
        w.normal("text.emb", r, 0.3, v, d);
        w.normal("text.pos", r, 0.02, L, d);
        for (int l = 0; l < cfg.textLayers(); l++) {
            String n = "text." + l + ".";
            affine(n + "ln1");
            linear(r, n + "qkv", d, 3 * d, s);
            linear(r, n + "o", d, d, s);
            affine(n + "ln2");
            linear(r, n + "ff1", d, 4 * d, s);
            linear(r, n + "ff2", 4 * d, d, 1 / Math.sqrt(4 * d));
        }
        affine("text.ln");
        linear(r, "text.pool", d, d, s);
        for (int b = 0; b < cfg.depth(); b++) {
            String n = "block." + b + ".";
            linear(r, n + "mod", d, 6 * d, 0);
            linear(r, n + "qkv", d, 3 * d, s);
            linear(r, n + "o", d, d, s);
            affine(n + "lnx");
            linear(r, n + "xq", d, d, s);
            linear(r, n + "xkv", d, 2 * d, s);
            linear(r, n + "xo", d, d, s);
            linear(r, n + "ff1", d, 4 * d, s);
            linear(r, n + "ff2", 4 * d, d, 1 / Math.sqrt(4 * d));
        }
        linear(r, "final.mod", d, 2 * d, 0);
        linear(r, "final.out", d, p, 0);
        int c = cfg.convChannels(), pp = cfg.patch() * cfg.patch();
        if (c > 0) { // after every other weight, so that configurations without it initialise exactly as before
            w.normal("stem.conv.w", r, 1 / Math.sqrt(27), c, 3, 3, 3);
            w.constant("stem.conv.b", 0, c);
            linear(r, "stem_in", pp * c, d, 0);          // the added paths start at zero
            linear(r, "final.feat", d, pp * c, 0);
            w.normal("head.conv.w", r, 1 / Math.sqrt(9.0 * c), 3, c, 3, 3);
            w.constant("head.conv.b", 0, 3);
        }
    }

    private void linear(Random r, String name, int in, int out, double std) {
        w.normal(name + ".w", r, std, in, out);
        w.constant(name + ".b", 0, out);
    }

    private void affine(String name) {
        w.constant(name + ".g", 1, cfg.dim());
        w.constant(name + ".b", 0, cfg.dim());
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

    /** DJL's {@code Activation.swish(x, 1f)} = x * sigmoid(x * 1) without the (exact) multiplication by 1. */
    private static NDArray swish(NDArray x) {
        return x.mul(Activation.sigmoid(x));
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
        return attentionWeights(q, k, bias).matMul(v);               // [S, H, Nq, hd]
    }

    /** softmax(q kᵀ + bias) over the keys: [S, H, Nq, Nk]. */
    static NDArray attentionWeights(NDArray q, NDArray k, NDArray bias) {
        NDArray s = q.matMul(k.transpose(0, 1, 3, 2));               // [S, H, Nq, Nk]
        if (bias != null) {
            s = s.add(bias);
        }
        return s.softmax(-1);
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
        for (int l = 0; l < cfg.textLayers(); l++) {
            String n = "text." + l + ".";
            NDArray[] qkv = heads3(lin(lnAffine(e, n + "ln1"), n + "qkv"));
            e = e.add(lin(merge(attend(qkv[0].mul(qScale), qkv[1], qkv[2], null)), n + "o"));
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
        NDArray te = lin(swish(lin(m.create(f, new Shape(t.length, d)), "t1")), "t2");
        return swish(te.add(pooled));
    }

    /** Learned frame-position embedding for tokens of sequences starting at {@code firstFrame[s]}: [S, N, d]. */
    private NDArray addFramePositions(NDManager m, NDArray h, int[] firstFrame) {
        int S = firstFrame.length, F = cfg.chunkFrames(), T = cfg.tokensPerFrame(), d = cfg.dim();
        float[] onehot = new float[S * F * cfg.maxFrames()];
        for (int s = 0; s < S; s++) {
            for (int f = 0; f < F; f++) {
                int frame = firstFrame[s] + f;
                checkFrame(frame);
                onehot[(s * F + f) * cfg.maxFrames() + frame] = 1f;
            }
        }
        NDArray pe = m.create(onehot, new Shape(S, F, cfg.maxFrames())).matMul(w.get("frame_pos"));
        return h.reshape(S, F, T, d).add(pe.reshape(S, F, 1, d)).reshape(S, (long) F * T, d);
    }

    /** The same for one first frame shared by all S rows: the rows of the embedding table, sliced (= one-hot @ table). */
    private NDArray addFramePositions(NDManager m, NDArray h, int firstFrame) {
        int F = cfg.chunkFrames(), T = cfg.tokensPerFrame(), d = cfg.dim();
        checkFrame(firstFrame);
        checkFrame(firstFrame + F - 1);
        NDArray pe = w.get("frame_pos").get(firstFrame + ":" + (firstFrame + F));        // [F, d]
        pe.attach(m);
        long S = h.getShape().get(0);
        return h.reshape(S, F, T, d).add(pe.reshape(1, F, 1, d)).reshape(S, (long) F * T, d);
    }

    private void checkFrame(int frame) {
        if (frame < 0 || frame >= cfg.maxFrames()) {
            throw new IllegalArgumentException("frame position " + frame + " is beyond the model's "
                    + cfg.maxFrames() + " frames (" + cfg.maxFrames() / cfg.sceneFrames() + " scenes)");
        }
    }

    /** How the self-attention of one block finds its keys: the training layout or a given context. */
    interface Attention {
        /** Attention output [S', H, N, hd] for the query rows {@code keepFrom..S-1} of q [S, H, N, hd]. */
        NDArray apply(int layer, NDArray q, NDArray k, NDArray v, int keepFrom);
    }

    /**
     * One block. Rows {@code 0..keepFrom-1} only give their keys and values to the self-attention: from the attention
     * on, the block goes on with rows {@code keepFrom..S-1} (training's last block, where only the noisy stream's
     * outputs reach the loss). {@code xkv}: the cross-attention keys and values [S, H, L, hd] of the text.
     */
    private NDArray block(int b, NDArray h, NDArray cond, NDArray[] xkv, Attention attn, List<NDArray[]> kvOut,
                          int keepFrom) {
        String n = "block." + b + ".";
        int d = cfg.dim(), H = cfg.heads(), hd = cfg.headDim();
        long S = h.getShape().get(0), N = h.getShape().get(1);
        NDArray modAll = lin(cond, n + "mod").reshape(S, 1, 6L * d);
        NDList mod = modAll.split(6, 2);
        NDArray a = ln(h).mul(mod.get(1).add(one)).add(mod.get(0));
        NDArray qkv = lin(a, n + "qkv").reshape(S, N, 3, H, hd).transpose(2, 0, 3, 1, 4); // [3, S, H, N, hd]
        NDArray qk = rope(qkv.get("0:2"));                                               // [2, S, H, N, hd]
        NDArray q = qk.get(0).mul(qScale), k = qk.get(1), v = qkv.get(2);                 // [S, H, N, hd]
        if (kvOut != null) {
            kvOut.add(new NDArray[] {k, v, q});
        }
        NDArray o = attn.apply(b, q, k, v, keepFrom);
        if (keepFrom > 0) {
            String rest = keepFrom + ":";
            h = h.get(rest);
            mod = modAll.get(rest).split(6, 2);
            xkv = new NDArray[] {xkv[0].get(rest), xkv[1].get(rest)};
            N = h.getShape().get(1);
            S -= keepFrom;
        }
        h = h.add(lin(merge(o), n + "o").mul(mod.get(2)));
        // cross-attention to the prompt's text tokens
        NDArray xq = lin(lnAffine(h, n + "lnx"), n + "xq").reshape(S, N, H, hd).transpose(0, 2, 1, 3).mul(qScale);
        h = h.add(lin(merge(attend(xq, xkv[0], xkv[1], null)), n + "xo"));
        NDArray f = ln(h).mul(mod.get(4).add(one)).add(mod.get(3));
        f = lin(Activation.gelu(lin(f, n + "ff1")), n + "ff2");
        return h.add(f.mul(mod.get(5)));
    }

    /** Cross-attention keys and values of every block for text tokens [S, L, d]: per block {k, v} [S, H, L, hd]. */
    private NDArray[][] crossKeysValues(NDArray text) {
        long S = text.getShape().get(0), L = text.getShape().get(1);
        NDArray[][] kv = new NDArray[cfg.depth()][];
        for (int b = 0; b < cfg.depth(); b++) {
            NDArray t = lin(text, "block." + b + ".xkv").reshape(S, L, 2, cfg.heads(), cfg.headDim())
                    .transpose(2, 0, 3, 1, 4);                                          // [2, S, H, L, hd]
            kv[b] = new NDArray[] {t.get(0), t.get(1)};
        }
        return kv;
    }

    /** The cross-attention keys and values a generation call made for one text array (they live in its manager). */
    private record TextMemo(NDArray text, NDArray[][] kv) {
    }

    /**
     * {@link #crossKeysValues} of the text array a caller passes to {@link #velocity}, made once for that array: every
     * Euler step of a chunk passes the same one. Only without gradients (generation, rollouts): with trainable weights
     * they are made on every call, so a weight update is never missed. (Without gradients a weight update between two
     * calls with the same text array would make the text itself stale too: callers make the text once per chunk.)
     * {@code key} is the caller's array, {@code text} the same broadcast to the call's rows.
     */
    private NDArray[][] crossKeysValues(NDArray key, NDArray text) {
        boolean memo = !key.hasGradient() && !w.get("block.0.xkv.w").hasGradient();
        TextMemo last = textMemo;
        if (memo && last != null && last.text() == key && !key.isReleased() && !last.kv()[0][0].isReleased()
                && last.kv()[0][0].getShape().get(0) == text.getShape().get(0)) {
            return last.kv();
        }
        NDArray[][] kv = crossKeysValues(text);
        textMemo = memo ? new TextMemo(key, kv) : null;
        return kv;
    }

    private NDArray head(NDArray h, NDArray cond) {
        long S = h.getShape().get(0);
        NDList mod = lin(cond, "final.mod").reshape(S, 1, 2L * cfg.dim()).split(2, 2);
        NDArray z = ln(h).mul(mod.get(1).add(one)).add(mod.get(0));
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
     *
     * <p>The clean stream holds chunks 0..C-2 only (no chunk attends to the last clean chunk), and in the last block it
     * stops after giving its keys and values (only the noisy stream's output reaches the loss): the same loss as
     * running both streams through everything, with 1/(2C) fewer rows and without the dead tail.
     */
    public NDArray trainingLoss(NDManager m, TrainBatch tb) {
        int B = tb.batch(), C = tb.chunks(), N = cfg.tokensPerChunk(), P = cfg.patchDim(), d = cfg.dim();
        int Rc = B * (C - 1), S = Rc + B * C;                               // rows: clean (b, c < C-1), noisy (b, c)
        Shape clip = new Shape(B, C, N, P);
        NDArray x0 = m.create(tb.clean(), clip);                          // [B, C, N, P] in [-1, 1]
        NDArray eps = m.create(tb.noise(), clip);
        NDArray t = m.create(tb.t(), new Shape(B, C, 1, 1));
        NDArray xt = x0.mul(t.neg().add(1f)).add(eps.mul(t)).reshape(B * C, N, P);
        NDArray x = C > 1 ? x0.get(":, 0:" + (C - 1)).reshape(Rc, N, P).concat(xt, 0) : xt; // [S, N, P]
        NDArray h = embed(x);                                               // [S, N, d]
        int[] first = new int[S];
        float[] ts = new float[S];
        for (int s = 0; s < S; s++) {
            boolean clean = s < Rc;
            int r = clean ? s : s - Rc, cs = clean ? C - 1 : C, b = r / cs, c = r % cs;
            first[s] = tb.firstFrame()[b] + c * cfg.chunkFrames();
            ts[s] = clean ? 0f : tb.t()[b * C + c];
        }
        h = addFramePositions(m, h, first);
        NDArray[] text = encodeText(m, tb.textIds(), B);
        int L = cfg.textLength();
        NDArray textS = perChunk(text[0].reshape(B, 1, L, d), B, C, new Shape(L, d));   // [S, L, d]
        NDArray pooledS = perChunk(text[1].reshape(B, 1, d), B, C, new Shape(d));       // [S, d]
        NDArray cond = condition(m, ts, pooledS);
        NDArray bias = contextDropBias(m, tb, C, N);
        Attention teacher = (layer, q, k, v, keepFrom) -> teacherForcing(q, k, v, B, C, bias, keepFrom > 0);
        NDArray[][] xkv = crossKeysValues(textS);
        for (int b = 0; b < cfg.depth(); b++) {
            h = block(b, h, cond, xkv[b], teacher, null, b == cfg.depth() - 1 ? Rc : 0);
        }
        NDArray cn = Rc > 0 ? cond.get(Rc + ":") : cond;
        NDArray v = head(h, cn);                                            // [B*C, N, P]
        NDArray target = eps.sub(x0).reshape(B * C, N, P);
        return v.sub(target).square().mean();
    }

    /** Per clip [B, 1, ...] to the rows of both streams [S, ...]: C-1 clean chunks then C noisy chunks per clip. */
    private static NDArray perChunk(NDArray perClip, int B, int C, Shape tail) {
        Shape noisyShape = new Shape(B, C).addAll(tail);
        NDArray noisy = perClip.broadcast(noisyShape).reshape(new Shape((long) B * C).addAll(tail));
        if (C == 1) {
            return noisy;
        }
        NDArray clean = perClip.broadcast(new Shape(B, C - 1).addAll(tail))
                .reshape(new Shape((long) B * (C - 1)).addAll(tail));
        return clean.concat(noisy, 0);
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

    /**
     * Self-attention of both streams, chunk by chunk: q, k, v [S, H, N, hd] in trainingLoss's row order. Chunk c's
     * queries (clean and noisy) attend to the clean keys of chunks 0..c-1 of their clip plus their own chunk's. With
     * {@code noisyOnly} only the noisy stream's output is made ([B*C, H, N, hd]), else both ([S, H, N, hd]).
     */
    private NDArray teacherForcing(NDArray q, NDArray k, NDArray v, int B, int C, NDArray bias, boolean noisyOnly) {
        int H = cfg.heads(), N = cfg.tokensPerChunk(), hd = cfg.headDim(), Rc = B * (C - 1);
        String cleanRows = "0:" + Rc, noisyRows = Rc + ":";
        Shape noisyShape = new Shape(B, C, H, N, hd), cleanShape = new Shape(B, C - 1, H, N, hd);
        NDArray qn = q.get(noisyRows).reshape(noisyShape), kn = k.get(noisyRows).reshape(noisyShape),
                vn = v.get(noisyRows).reshape(noisyShape);
        NDArray qc = null, kc = null, vc = null;
        if (C > 1) {
            kc = k.get(cleanRows).reshape(cleanShape);
            vc = v.get(cleanRows).reshape(cleanShape);
            qc = noisyOnly ? null : q.get(cleanRows).reshape(cleanShape);
        }
        List<NDArray> cleanOuts = new ArrayList<>(), noisyOuts = new ArrayList<>();
        for (int c = 0; c < C; c++) {
            boolean both = !noisyOnly && c < C - 1;                          // clean queries of this chunk too
            long rows = both ? 2L * B : B;
            NDIndex at = new NDIndex(":, " + c);
            NDArray qq = qn.get(at), kk = kn.get(at), vv = vn.get(at);        // [B, H, N, hd]
            if (both) {                                                       // [2B, H, N, hd]: clean rows first
                qq = qc.get(at).concat(qq, 0);
                kk = kc.get(at).concat(kk, 0);
                vv = vc.get(at).concat(vv, 0);
            }
            NDArray bc = null;
            if (c > 0) {
                NDIndex ctx = new NDIndex(":, 0:" + c);                        // clean stream, earlier chunks
                NDArray ck = kc.get(ctx).transpose(0, 2, 1, 3, 4).reshape(1, B, H, (long) c * N, hd);
                NDArray cv = vc.get(ctx).transpose(0, 2, 1, 3, 4).reshape(1, B, H, (long) c * N, hd);
                Shape shared = new Shape(rows / B, B, H, (long) c * N, hd);
                ck = ck.broadcast(shared).reshape(rows, H, (long) c * N, hd);
                cv = cv.broadcast(shared).reshape(rows, H, (long) c * N, hd);
                kk = ck.concat(kk, 2);
                vv = cv.concat(vv, 2);
                if (bias != null) {
                    NDArray br = both ? bias : bias.get(B + ":");             // [rows, 1, 1, C*N]
                    bc = br.get(new NDIndex(":, :, :, 0:" + (c * N))).concat(
                            br.zerosLike().get(new NDIndex(":, :, :, 0:" + N)), 3);
                }
            }
            NDArray o = attend(qq, kk, vv, bc);                                // [rows, H, N, hd]
            if (both) {
                cleanOuts.add(o.get("0:" + B));
                noisyOuts.add(o.get(B + ":"));
            } else {
                noisyOuts.add(o);
            }
        }
        NDArray noisy = NDArrays.stack(noisyOuts, 1).reshape((long) B * C, H, N, hd);
        if (cleanOuts.isEmpty()) {
            return noisy;
        }
        return NDArrays.stack(cleanOuts, 1).reshape(Rc, H, N, hd).concat(noisy, 0);
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
        NDArray key = text[0];
        if (text[0].getShape().get(0) != S) { // one prompt for a whole batch (e.g. GRPO rollouts)
            Shape ts = text[0].getShape();
            text = new NDArray[] {text[0].broadcast(new Shape(S, ts.get(1), ts.get(2))),
                text[1].broadcast(new Shape(S, text[1].getShape().get(1)))};
        }
        NDArray h = addFramePositions(m, embed(x), firstFrame);
        NDArray cond = condition(m, t, text[1]);
        NDArray[][] xkv = crossKeysValues(key, text[0]);
        Attention attn = (layer, q, k, v, keepFrom) -> {
            if (ctx == null || ctx.tokens() == 0) {
                return attend(q, k, v, null);
            }
            NDArray ck = ctx.keys(layer), cv = ctx.values(layer);
            if (ck.getShape().get(0) != S) {
                Shape sh = new Shape(S, ck.getShape().get(1), ck.getShape().get(2), ck.getShape().get(3));
                ck = ck.broadcast(sh);
                cv = cv.broadcast(sh);
            }
            if (ctx.recordsAttention()) { // attend() in two steps, keeping the probabilities for the probe
                NDArray p = attentionWeights(q, ck.concat(k, 2), null);               // [S, H, Nq, M + Nq]
                int kept = ctx.tokens();
                ctx.attended(layer, p.get(new NDIndex(":, :, :, 0:" + kept)).reshape(-1, kept).mean(new int[] {0}));
                return p.matMul(cv.concat(v, 2));
            }
            return attend(q, ck.concat(k, 2), cv.concat(v, 2), null);
        };
        for (int b = 0; b < cfg.depth(); b++) {
            h = block(b, h, cond, xkv[b], attn, kvOut, 0);
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
        w.close();
        constants.close();
    }

    @Override
    public String toString() {
        return "TinyDiT[" + cfg.dim() + "d x " + cfg.depth() + " blocks, " + cfg.heads() + " heads, " + w.count()
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
