package org.inflvg.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.inflvg.select.ContextSelector;
import org.inflvg.select.PlackettLuce;
import org.inflvg.select.Selection;
import org.inflvg.select.SelectionRequest;

/**
 * The learned policy as a context selector: anchors by rule, then the deterministic top-K of F_theta's logits over the
 * remaining history tokens (or, with {@link #sampling}, a Plackett-Luce draw). Scores of the selection are the logits
 * (NaN for anchors).
 */
public final class PolicySelector implements ContextSelector {

    private final ContextPolicy policy;
    private final int k;
    private final boolean sample;

    public PolicySelector(ContextPolicy policy, int k, boolean sample) {
        this.policy = policy;
        this.k = k;
        this.sample = sample;
    }

    /** The same policy with another budget K. */
    public PolicySelector topK(int budget) {
        return new PolicySelector(policy, budget, false);
    }

    /** The same policy drawing its selection at random from its distribution (as GRPO does). */
    public PolicySelector sampling() {
        return new PolicySelector(policy, k, true);
    }

    @Override
    public Selection select(SelectionRequest r) {
        int[][] ca = policy.candidatesAndAnchors(r);
        int[] cand = ca[0], anchors = ca[1];
        int budget = Math.min(k, cand.length);
        if (k > cand.length) {
            throw new IllegalArgumentException("policy K must be in [1, " + cand.length + "] (the history offers "
                    + cand.length + " candidate tokens at scene " + r.scene() + "), got " + k);
        }
        float[] logits;
        try (NDManager m = NDManager.newBaseManager(policy.weights().manager().getDevice()); var ng = new NoGradScope()) {
            NDArray[] in = policy.inputs(r, cand, m);
            logits = policy.logits(in).toFloatArray();
        }
        int[] chosen = sample ? PlackettLuce.sample(logits, budget, new Random(r.seed() * 31 + r.scene()))
                : PlackettLuce.topK(logits, budget);
        int[] kept = new int[anchors.length + budget];
        System.arraycopy(anchors, 0, kept, 0, anchors.length);
        for (int i = 0; i < budget; i++) {
            kept[anchors.length + i] = cand[chosen[i]];
        }
        float[] scores = new float[r.history()];
        java.util.Arrays.fill(scores, Float.NaN);
        for (int i = 0; i < cand.length; i++) {
            scores[cand[i]] = logits[i];
        }
        return new Selection(name(), kept, anchors, scores, r.history(), budget, r.tokensPerFrame());
    }

    @Override
    public String name() {
        return "policy:" + k;
    }

    @Override
    public String toString() {
        return name() + (sample ? " (sampling)" : "");
    }

    /** Grad mode off while scoring (no graph is recorded for a selection). */
    static final class NoGradScope implements AutoCloseable {
        private final boolean was = ai.djl.pytorch.jni.JniUtils.isGradMode();

        NoGradScope() {
            ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        }

        @Override
        public void close() {
            ai.djl.pytorch.jni.JniUtils.setGradMode(was);
        }
    }
}
