package org.inflvg.policy;

/**
 * Sizes and rules of the context selection model F_theta.
 *
 * @param modelDim    width of the base model (keys and text tokens are this wide)
 * @param width       the policy's own width
 * @param blocks      blocks of (cross-attention tokens -> subject text, feed-forward)
 * @param heads       attention heads
 * @param layer       which layer's cached keys are scored (the official code uses a middle layer)
 * @param sinkFrames  history frames kept by rule at the start (a sink)
 * @param recentFrames history frames kept by rule at the end
 * @param budget      K: tokens chosen by the policy from the rest
 * @param textPrior   0 (absent in older files): the network alone, whose untrained policy is uniform. w &gt; 0: a learned
 *                    multiple, starting at w, of the {@code text:K} score (cosine between each cached key and the subject
 *                    text's key, standardised over the candidates) is added to the logits, so that an untrained policy
 *                    ranks as {@code text:K} does and GRPO starts from there; the larger w, the sharper that start
 * @param logitScale  a fixed multiple of the network's logits (1: the shipped policy; {@link #fromJson} gives 1 to
 *                    files written before the scale existed). The top-K is the same for any scale; what changes is
 *                    the sampling distribution GRPO trains on. With AdamW, whose steps do not grow with the gradient,
 *                    a scale s makes the logits, and so the sampling distribution, move about s times faster. At
 *                    scale 1 the shipped policy's samples stayed within 0.005 nats of a uniform draw over its whole
 *                    training (data/README.md)
 * @param centreTokens whether the features the last layers read are centred across the candidates first (their
 *                    mean over the candidates subtracted before the last LayerNorm), so that a component common to
 *                    every token, such as the cross-attention's output, much the same for all tokens, cannot crowd out
 *                    what tells the tokens apart (false, absent in older files: the shipped policy; an experiment,
 *                    data/README.md)
 */
public record PolicyConfig(int modelDim, int width, int blocks, int heads, int layer, int sinkFrames, int recentFrames,
                           int budget, double textPrior, double logitScale, boolean centreTokens) {

    /** A configuration without the text prior. */
    public PolicyConfig(int modelDim, int width, int blocks, int heads, int layer, int sinkFrames, int recentFrames,
                        int budget) {
        this(modelDim, width, blocks, heads, layer, sinkFrames, recentFrames, budget, 0);
    }

    /** A configuration with logit scale 1. */
    public PolicyConfig(int modelDim, int width, int blocks, int heads, int layer, int sinkFrames, int recentFrames,
                        int budget, double textPrior) {
        this(modelDim, width, blocks, heads, layer, sinkFrames, recentFrames, budget, textPrior, 1);
    }

    /** A configuration without centring. */
    public PolicyConfig(int modelDim, int width, int blocks, int heads, int layer, int sinkFrames, int recentFrames,
                        int budget, double textPrior, double logitScale) {
        this(modelDim, width, blocks, heads, layer, sinkFrames, recentFrames, budget, textPrior, logitScale, false);
    }

    public PolicyConfig {
        if (!(logitScale > 0 && logitScale <= 1000)) {
            throw new IllegalArgumentException("logitScale must be in (0, 1000] (1: the network's logits as they are), got "
                    + logitScale);
        }
        if (width < 4 || width % heads != 0) {
            throw new IllegalArgumentException("width must be a multiple of heads and >= 4, got " + width + "/" + heads);
        }
        if (blocks < 0 || blocks > 8) {
            throw new IllegalArgumentException("blocks must be in [0, 8], got " + blocks);
        }
        if (sinkFrames < 0 || recentFrames < 0) {
            throw new IllegalArgumentException("sinkFrames and recentFrames must be >= 0");
        }
        if (!(textPrior >= 0 && textPrior <= 100)) {
            throw new IllegalArgumentException("textPrior must be 0 (none) or a starting weight in (0, 100], got "
                    + textPrior);
        }
        if (budget < 1) {
            throw new IllegalArgumentException("budget K must be at least 1, got " + budget);
        }
    }

    /**
     * The configuration as {@code policy.json} holds it under {@code "config"}; a file written before the logit scale
     * existed (the shipped {@code data/policy}) gets scale 1, one written before centring existed no centring.
     */
    public static PolicyConfig fromJson(com.fasterxml.jackson.databind.JsonNode config)
            throws com.fasterxml.jackson.core.JsonProcessingException {
        if (config == null || !config.isObject()) {
            throw new IllegalArgumentException("a policy configuration must be a JSON object (policy.json's \"config\"), "
                    + "got " + config);
        }
        com.fasterxml.jackson.databind.node.ObjectNode n = config.deepCopy();
        if (!n.has("logitScale")) {
            n.put("logitScale", 1.0);
        }
        if (!n.has("centreTokens")) {
            n.put("centreTokens", false);
        }
        return new com.fasterxml.jackson.databind.ObjectMapper().treeToValue(n, PolicyConfig.class);
    }

    /** The embedded default for TinyDiT: width 64, 2 blocks, layer 2 of 4, no anchors, K = 128 (anchor frames of a 32x32 story are mostly old background, which is what leaks). */
    public static PolicyConfig forModel(org.inflvg.model.ModelConfig m) {
        return new PolicyConfig(m.dim(), 64, 2, 2, m.depth() / 2, 0, 0, 128);
    }

    public PolicyConfig withBudget(int k) {
        return new PolicyConfig(modelDim, width, blocks, heads, layer, sinkFrames, recentFrames, k, textPrior, logitScale,
                centreTokens);
    }

    public PolicyConfig withTextPrior(double prior) {
        return new PolicyConfig(modelDim, width, blocks, heads, layer, sinkFrames, recentFrames, budget, prior, logitScale,
                centreTokens);
    }

    public PolicyConfig withAnchors(int sink, int recent) {
        return new PolicyConfig(modelDim, width, blocks, heads, layer, sink, recent, budget, textPrior, logitScale,
                centreTokens);
    }

    public PolicyConfig withCentreTokens(boolean centre) {
        return new PolicyConfig(modelDim, width, blocks, heads, layer, sinkFrames, recentFrames, budget, textPrior,
                logitScale, centre);
    }

    public PolicyConfig withLogitScale(double scale) {
        return new PolicyConfig(modelDim, width, blocks, heads, layer, sinkFrames, recentFrames, budget, textPrior, scale,
                centreTokens);
    }
}
