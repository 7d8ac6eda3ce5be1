package org.inflvg.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.LayerNorm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import java.util.Random;
import org.inflvg.model.KvCache;
import org.inflvg.model.Scalars;
import org.inflvg.model.VideoModel;
import org.inflvg.model.Weights;
import org.inflvg.select.SelectionRequest;

/**
 * The context selection model F_theta of InfLVG. Input: the keys of the history tokens from one layer of the KV cache
 * and the text tokens of the new prompt's subject ("A robot"). Two blocks of (cross-attention from tokens to the
 * subject text, feed-forward, residual), then a normalised MLP give one logit per history token. The last layer starts
 * at zero, so an untrained policy samples uniformly (a random selection), and its deterministic top-K, where every
 * logit is 0, keeps the first K candidates by index (the oldest tokens; ties go to the lower index). With {@link
 * PolicyConfig#textPrior()} &gt; 0 a learned multiple ({@code prior.a}, starting at that value) of the standardised
 * {@code text:K} score is added: the untrained policy then ranks as {@code text:K}. The network's logits are multiplied
 * by {@link PolicyConfig#logitScale()} (1 unless configured). With {@link PolicyConfig#centreTokens()} the features the
 * last LayerNorm reads are centred across the candidates first.
 */
public final class ContextPolicy implements AutoCloseable {

    private final PolicyConfig cfg;
    private final Weights w;
    private final NDManager constants;
    private final NDArray onesD, zerosD, onesW, zerosW;

    public ContextPolicy(PolicyConfig cfg, NDManager parent, long seed) {
        this.cfg = cfg;
        this.w = new Weights(parent);
        this.constants = parent.newSubManager();
        onesD = constants.ones(new Shape(cfg.modelDim()));
        zerosD = constants.zeros(new Shape(cfg.modelDim()));
        onesW = constants.ones(new Shape(cfg.width()));
        zerosW = constants.zeros(new Shape(cfg.width()));
        Random r = new Random(seed);
        int d = cfg.modelDim(), h = cfg.width();
        linear(r, "in", d, h);
        linear(r, "text", d, h);
        for (int b = 0; b < cfg.blocks(); b++) {
            linear(r, b + ".q", h, h);
            linear(r, b + ".kv", h, 2 * h);
            linear(r, b + ".o", h, h);
            linear(r, b + ".ff1", h, 2 * h);
            linear(r, b + ".ff2", 2 * h, h);
        }
        linear(r, "mlp1", h, h);
        w.put("mlp2.w", w.manager().zeros(new Shape(h, 1)));
        w.put("mlp2.b", w.manager().zeros(new Shape(1)));
        if (cfg.textPrior() > 0) {
            w.put("prior.a", w.manager().create(new float[] {(float) cfg.textPrior()}, new Shape(1)));
        }
    }

    private void linear(Random r, String name, int in, int out) {
        float[] v = new float[in * out];
        double std = 1 / Math.sqrt(in);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * std);
        }
        w.put(name + ".w", w.manager().create(v, new Shape(in, out)));
        w.put(name + ".b", w.manager().zeros(new Shape(out)));
    }

    public PolicyConfig config() {
        return cfg;
    }

    public Weights weights() {
        return w;
    }

    private NDArray lin(NDArray x, String n) {
        return x.matMul(w.get(n + ".w")).add(w.get(n + ".b"));
    }

    private NDArray ln(NDArray x, boolean model) {
        return LayerNorm.layerNorm(x, new Shape(model ? cfg.modelDim() : cfg.width()), model ? onesD : onesW,
                model ? zerosD : zerosW, 1e-5f).singletonOrThrow();
    }

    /**
     * Logits [M] for candidate keys [M, d] given subject text tokens [L, d], times the configured logit scale. Records
     * gradients when enabled.
     */
    public NDArray logits(NDArray keys, NDArray text) {
        long M = keys.getShape().get(0), L = text.getShape().get(0);
        int h = cfg.width(), H = cfg.heads(), hd = h / H;
        NDArray x = lin(ln(keys, true), "in").reshape(1, M, h);                     // [1, M, h]
        NDArray t = lin(ln(text, true), "text").reshape(1, L, h);                   // [1, L, h]
        float scale = (float) (1 / Math.sqrt(hd));
        for (int b = 0; b < cfg.blocks(); b++) {
            NDArray q = Scalars.mul(lin(ln(x, false), b + ".q").reshape(1, M, H, hd).transpose(0, 2, 1, 3), scale);
            NDArray kv = lin(t, b + ".kv").reshape(1, L, 2, H, hd).transpose(2, 0, 3, 1, 4);   // [2, 1, H, L, hd]
            NDArray att = q.matMul(kv.get(0).transpose(0, 1, 3, 2)).softmax(-1).matMul(kv.get(1)); // [1, H, M, hd]
            x = x.add(lin(att.transpose(0, 2, 1, 3).reshape(1, M, h), b + ".o"));
            x = x.add(lin(Activation.gelu(lin(ln(x, false), b + ".ff1")), b + ".ff2"));
        }
        if (cfg.centreTokens()) {
            x = x.sub(x.mean(new int[] {1}, true));                                 // common to all candidates: out
        }
        NDArray net = lin(Activation.gelu(lin(ln(x, false), "mlp1")), "mlp2").reshape(M);   // [M] one logit per token
        return cfg.logitScale() == 1 ? net : Scalars.mul(net, cfg.logitScale());
    }

    /**
     * Logits [M] from {@link #inputs}: the network's, plus {@code prior.a} times the standardised text score when the
     * configuration has the text prior. Records gradients when enabled.
     */
    public NDArray logits(NDArray[] in) {
        NDArray net = logits(in[0], in[1]);
        return cfg.textPrior() > 0 ? net.add(in[2].mul(w.get("prior.a"))) : net;
    }

    /** The history tokens the policy chooses from (not kept by rule) and the anchors, for a request. */
    public int[][] candidatesAndAnchors(SelectionRequest r) {
        int tpf = r.tokensPerFrame(), hist = r.history();
        int sinkEnd = Math.min(hist, cfg.sinkFrames() * tpf), recentStart = Math.max(sinkEnd, hist - cfg.recentFrames() * tpf);
        var cand = new ArrayList<Integer>();
        var anchors = new ArrayList<Integer>();
        for (int i = 0; i < hist; i++) {
            (i < sinkEnd || i >= recentStart ? anchors : cand).add(i);
        }
        return new int[][] {cand.stream().mapToInt(Integer::intValue).toArray(),
            anchors.stream().mapToInt(Integer::intValue).toArray()};
    }

    /**
     * Inputs of F_theta for a request, without gradients: candidate keys [M, d], subject text tokens [L, d] and, with
     * the text prior, the candidates' standardised text scores [M].
     */
    public NDArray[] inputs(SelectionRequest r, int[] candidates, NDManager m) {
        VideoModel model = r.model();
        KvCache cache = r.cache();
        NDArray all = cache.keys(cfg.layer(), m);                                     // [history+, d]
        NDArray keys = all.get(new NDIndex("{}", m.create(java.util.Arrays.stream(candidates).asLongStream().toArray())));
        NDArray text = model.text(m, model.tokenize(r.subjectText()), 1)[0].reshape(model.config().textLength(),
                model.config().dim());
        if (cfg.textPrior() == 0) {
            return new NDArray[] {keys.stopGradient(), text.stopGradient()};
        }
        NDArray cos = org.inflvg.select.Selectors.textCosine(model, cfg.layer(), keys,
                text.mean(new int[] {0}).reshape(1, model.config().dim()));                 // text:K's score, [M]
        NDArray centred = cos.sub(cos.mean());
        NDArray z = centred.div(centred.square().mean().sqrt().add(1e-6f));                 // standardised
        return new NDArray[] {keys.stopGradient(), text.stopGradient(), z.stopGradient()};
    }

    /** Saves the policy (weights + config with checksum). */
    public void save(Path dir) {
        String sha = w.save(dir.resolve("policy.bin"));
        try {
            var json = new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter();
            Path tmp = Files.createTempFile(dir.toAbsolutePath(), "policy", ".tmp");
            json.writeValue(tmp.toFile(), Map.of("config", cfg, "sha256", sha, "format", "inflvg-policy-1"));
            Files.move(tmp, dir.resolve("policy.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Loads a saved policy; errors name the file and the problem. */
    public static ContextPolicy load(Path dir, NDManager manager) {
        Path cfgFile = dir.resolve("policy.json"), bin = dir.resolve("policy.bin");
        if (!Files.isRegularFile(cfgFile) || !Files.isRegularFile(bin)) {
            throw new IllegalArgumentException("policy folder " + dir + " needs policy.json and policy.bin (train one with "
                    + "./inflvg train policy)");
        }
        try {
            var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(cfgFile.toFile());
            PolicyConfig pc = PolicyConfig.fromJson(node.get("config"));
            String sha = Weights.sha256(bin);
            if (!sha.equals(node.path("sha256").asText())) {
                throw new IllegalArgumentException(bin + " does not match the checksum in " + cfgFile);
            }
            ContextPolicy p = new ContextPolicy(pc, manager, 0);
            p.weights().load(bin);
            return p;
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read " + cfgFile + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        w.close();
        constants.close();
    }

    @Override
    public String toString() {
        return "ContextPolicy[" + w.count() + " parameters, layer " + cfg.layer() + ", K " + cfg.budget() + ", anchors "
                + cfg.sinkFrames() + " sink + " + cfg.recentFrames() + " recent frames" + (cfg.textPrior() > 0 ? ", text prior from "
                + cfg.textPrior() : "") + (cfg.logitScale() != 1 ? ", logit scale " + cfg.logitScale() : "") + "]";
    }
}
