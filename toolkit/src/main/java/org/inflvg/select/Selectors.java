package org.inflvg.select;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/** The training-free selectors, and the parser of their one-word command-line forms. */
public final class Selectors {

    private Selectors() {
    }

    /** Keeps every past token (the base model's default: leaks the old scene into the new one). */
    public static ContextSelector full() {
        return new Simple("full", r -> IntStream.range(0, r.history()).toArray(), -1);
    }

    /** Keeps no past token (loses the individual). */
    public static ContextSelector none() {
        return new Simple("none", r -> new int[0], 0);
    }

    /** Keeps the most recent {@code frames} history frames. */
    public static ContextSelector window(int frames) {
        positive("window frames", frames);
        return new Simple("window:" + frames, r -> recent(r, frames), -1);
    }

    /** StreamingLLM: the first {@code sink} frames and the most recent {@code recent} frames. */
    public static ContextSelector sinkAndRecent(int sink, int recent) {
        if (sink < 0 || recent < 0 || sink + recent == 0) {
            throw new IllegalArgumentException("sink:S+R needs S >= 0, R >= 0 and S + R >= 1, got " + sink + "+" + recent);
        }
        return new Simple("sink:" + sink + "+" + recent, r -> {
            var set = new java.util.TreeSet<Integer>();
            int tpf = r.tokensPerFrame();
            for (int i = 0; i < Math.min(sink * tpf, r.history()); i++) {
                set.add(i);
            }
            for (int i : recent(r, recent)) {
                set.add(i);
            }
            return set.stream().mapToInt(Integer::intValue).toArray();
        }, -1);
    }

    /** {@code k} history tokens drawn uniformly without replacement (seeded by the request). */
    public static ContextSelector random(int k) {
        positive("random K", k);
        return new Simple("random:" + k, r -> {
            checkBudget("random", k, r.history());
            SplittableRandom rnd = new SplittableRandom(r.seed() * 0x9E3779B97F4A7C15L + r.scene());
            int[] all = IntStream.range(0, r.history()).toArray();
            for (int i = 0; i < k; i++) {
                int j = i + rnd.nextInt(all.length - i);
                int t = all[i];
                all[i] = all[j];
                all[j] = t;
            }
            return java.util.Arrays.copyOf(all, k);
        }, k);
    }

    /** Keeps the K history tokens that received the most attention from the last finished chunk (H2O). */
    public static ContextSelector attentionScore(int k) {
        return ScoreSelectors.attention(k);
    }

    /** Keeps the K history tokens whose keys are most similar to the subject text (no training). */
    public static ContextSelector textSimilarity(int k) {
        return ScoreSelectors.text(k);
    }

    /**
     * The score of {@code text:K} (and of the policy's text prior): the cosine between each key [M, d] of layer
     * {@code layer} and that layer's key projection of the subject text's mean token [1, d]; [M], in the keys' manager.
     */
    public static ai.djl.ndarray.NDArray textCosine(org.inflvg.model.VideoModel model, int layer,
                                                    ai.djl.ndarray.NDArray keys, ai.djl.ndarray.NDArray textMean) {
        ai.djl.ndarray.NDArray q = model.keyProjection(layer, textMean);                   // [1, d]
        return keys.matMul(q.transpose()).reshape(keys.getShape().get(0))
                .div(keys.norm(new int[] {1}).mul(q.norm()).add(1e-6f));
    }

    private static int[] recent(SelectionRequest r, int frames) {
        int from = Math.max(0, r.history() - frames * r.tokensPerFrame());
        return IntStream.range(from, r.history()).toArray();
    }

    private static void positive(String what, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(what + " must be at least 1, got " + v);
        }
    }

    static void checkBudget(String what, int k, int candidates) {
        if (k < 1 || k > candidates) {
            throw new IllegalArgumentException(what + " K must be in [1, " + candidates + "] (the history holds "
                    + candidates + " tokens), got " + k);
        }
    }

    /** The allowed one-word forms, for error messages. */
    public static final String FORMS = "none, full, window:N, sink:S+R, random:K, attention:K, text:K, policy:K[@dir]";

    /** Parses a one-word selector ("full", "window:8", "sink:1+4", "random:256"). */
    public static ContextSelector parse(String word) {
        String w = word.trim();
        try {
            if (w.equals("full")) return full();
            if (w.equals("none")) return none();
            if (w.startsWith("window:")) return window(Integer.parseInt(w.substring(7)));
            if (w.startsWith("random:")) return random(Integer.parseInt(w.substring(7)));
            if (w.startsWith("attention:")) return attentionScore(Integer.parseInt(w.substring(10)));
            if (w.startsWith("text:")) return textSimilarity(Integer.parseInt(w.substring(5)));
            if (w.startsWith("policy:")) {
                String rest = w.substring(7);
                int at = rest.indexOf('@');
                int k = Integer.parseInt(at < 0 ? rest : rest.substring(0, at));
                if (k < 1) {
                    throw new IllegalArgumentException("policy K must be at least 1, got " + k);
                }
                String dir = at < 0 ? null : rest.substring(at + 1);
                if (policyFactory == null) {
                    return deferredPolicy(w, k, dir);
                }
                ContextSelector p = policyFactory.apply(k, dir);
                // a policy from a folder keeps the word as its name, so that two policies can be compared side by side
                return dir == null ? p : renamed(w, p);
            }
            if (w.startsWith("sink:")) {
                String[] p = w.substring(5).split("\\+");
                if (p.length == 2) return sinkAndRecent(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("selector '" + word + "' has a bad number; allowed forms: " + FORMS);
        }
        throw new IllegalArgumentException("unknown selector '" + word + "'; allowed forms: " + FORMS);
    }

    private static java.util.function.BiFunction<Integer, String, ContextSelector> policyFactory;

    /** {@code s} under another name (its selections carry the name too). */
    private static ContextSelector renamed(String name, ContextSelector s) {
        return new ContextSelector() {
            @Override
            public Selection select(SelectionRequest r) {
                return s.select(r).named(name);
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

    /** "policy:K" parsed before a model is loaded: resolved through the registered factory when first used. */
    private static ContextSelector deferredPolicy(String word, int k, String dir) {
        return new ContextSelector() {
            private ContextSelector resolved;

            @Override
            public Selection select(SelectionRequest r) {
                if (resolved == null) {
                    if (policyFactory == null) {
                        throw new IllegalStateException("'" + word + "' needs a policy: load a model with InfLVG.load() "
                                + "first (it registers data/policy or an untrained policy)");
                    }
                    resolved = policyFactory.apply(k, dir);
                }
                Selection s = resolved.select(r);
                return dir == null ? s : s.named(word);
            }

            @Override
            public String name() {
                return word;
            }

            @Override
            public String toString() {
                return word;
            }
        };
    }

    /**
     * Registers how "policy:K[@dir]" is turned into a selector (the facade registers the shipped policy; a null dir
     * means the default policy).
     */
    public static void registerPolicy(java.util.function.BiFunction<Integer, String, ContextSelector> factory) {
        policyFactory = factory;
    }

    /** Removes {@code factory} if it is the registered one (a closed model must not serve "policy:K" any more). */
    public static void unregisterPolicy(java.util.function.BiFunction<Integer, String, ContextSelector> factory) {
        if (policyFactory == factory) {
            policyFactory = null;
        }
    }

    /** Parses a comma-separated list of selectors. */
    public static List<ContextSelector> parseList(String words) {
        List<ContextSelector> out = new ArrayList<>();
        for (String w : words.split(",")) {
            if (!w.isBlank()) out.add(parse(w));
        }
        if (out.isEmpty()) throw new IllegalArgumentException("no selectors given; allowed forms: " + FORMS);
        return out;
    }

    private record Simple(String name, java.util.function.Function<SelectionRequest, int[]> rule, int budget)
            implements ContextSelector {
        @Override
        public Selection select(SelectionRequest r) {
            int[] kept = rule.apply(r);
            return new Selection(name, kept, new int[0], null, r.history(), budget, r.tokensPerFrame());
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
