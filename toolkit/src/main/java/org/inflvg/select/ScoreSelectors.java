package org.inflvg.select;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.inflvg.model.VideoModel;

/** Training-free selectors that score history tokens and keep the top K: attention received, text similarity. */
final class ScoreSelectors {

    private ScoreSelectors() {
    }

    /** H2O-style: the attention the last finished chunk's queries paid to each history token (layers, heads averaged). */
    static ContextSelector attention(int k) {
        return scored("attention:" + k, k, r -> {
            try (NDManager m = NDManager.newBaseManager(r.cache().device())) {
                return r.cache().attentionFromLastChunk(r.history(), m);
            }
        });
    }

    /**
     * Cosine between each cached key of the middle layer and that layer's key projection of the subject text (mean of
     * its tokens): no training, a heuristic for "tokens that look like the subject".
     */
    static ContextSelector text(int k) {
        return scored("text:" + k, k, r -> {
            VideoModel model = r.model();
            int layer = model.config().depth() / 2;
            try (NDManager m = NDManager.newBaseManager(model.device())) {
                NDArray keys = r.cache().keys(layer, m).get("0:" + r.history());          // [history, d]
                NDArray text = model.text(m, model.tokenize(r.subjectText()), 1)[0].mean(new int[] {1}); // [1, d]
                return Selectors.textCosine(model, layer, keys, text).toFloatArray();
            }
        });
    }

    private static ContextSelector scored(String name, int k, java.util.function.Function<SelectionRequest, float[]> score) {
        if (k < 1) {
            throw new IllegalArgumentException(name + ": K must be at least 1, got " + k);
        }
        return new ContextSelector() {
            @Override
            public Selection select(SelectionRequest r) {
                Selectors.checkBudget(name.substring(0, name.indexOf(':')), k, r.history());
                float[] s = score.apply(r);
                int[] kept = PlackettLuce.topK(s, k);
                return new Selection(name, kept, new int[0], s, r.history(), k, r.tokensPerFrame());
            }

            @Override
            public String name() {
                return name;
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
