package org.inflvg.select;

import java.util.Arrays;

/**
 * Which past tokens of the KV cache a scene's chunks may attend to: the kept cache indices (sorted), the ones kept by
 * rule (anchors: sink and recent frames), per-candidate scores where the selector has them, and the budget.
 *
 * @param selector   the selector's name ("full", "window:8", "policy:256", ...)
 * @param kept       kept token indices, ascending
 * @param anchors    the subset of {@code kept} kept by rule, ascending
 * @param scores     score per history token (length = candidates) or null
 * @param candidates number of history tokens the selector chose from
 * @param budget     the number of non-anchor tokens it was allowed to keep (-1: unbounded)
 * @param tokensPerFrame tokens per frame, for per-frame summaries
 */
public record Selection(String selector, int[] kept, int[] anchors, float[] scores, int candidates, int budget,
                        int tokensPerFrame) {

    public Selection {
        kept = kept.clone();
        Arrays.sort(kept);
        anchors = anchors.clone();
        Arrays.sort(anchors);
        for (int i = 1; i < kept.length; i++) {
            if (kept[i] == kept[i - 1]) {
                throw new IllegalArgumentException("selection keeps token " + kept[i] + " twice");
            }
        }
        for (int k : kept) {
            if (k < 0 || k >= candidates) {
                throw new IllegalArgumentException("kept token " + k + " outside the history (0.." + (candidates - 1) + ")");
            }
        }
    }

    /** Number of kept tokens. */
    public int size() {
        return kept.length;
    }

    /** Kept token indices, ascending (a copy). */
    public int[] keptTokens() {
        return kept.clone();
    }

    /** Whether token {@code i} is kept. */
    public boolean keeps(int i) {
        return Arrays.binarySearch(kept, i) >= 0;
    }

    /** Kept tokens per history frame. */
    public int[] keptPerFrame() {
        int frames = (candidates + tokensPerFrame - 1) / Math.max(1, tokensPerFrame);
        int[] out = new int[frames];
        for (int k : kept) {
            out[k / tokensPerFrame]++;
        }
        return out;
    }

    /** The same selection without the tokens of history frame {@code frame}. */
    public Selection withoutFrame(int frame) {
        int lo = frame * tokensPerFrame, hi = lo + tokensPerFrame;
        return new Selection(selector + "-frame" + frame, Arrays.stream(kept).filter(k -> k < lo || k >= hi).toArray(),
                Arrays.stream(anchors).filter(k -> k < lo || k >= hi).toArray(), scores, candidates, budget, tokensPerFrame);
    }

    /**
     * The same selection also keeping {@code tokens} (history token indices; ones already kept are ignored). Named
     * {@code <selector>+<n added>}, for hand-edited counterfactuals: {@code scene.selection().withoutFrame(3).with(5, 6)}.
     */
    public Selection with(int... tokens) {
        int[] added = Arrays.stream(tokens).distinct().filter(t -> !keeps(t)).toArray();
        int[] all = java.util.stream.IntStream.concat(Arrays.stream(kept), Arrays.stream(added)).toArray();
        return new Selection(selector + "+" + added.length, all, anchors, scores, candidates, budget, tokensPerFrame);
    }

    /** The same selection without {@code tokens} (ones not kept are ignored). Named {@code <selector>-<n removed>}. */
    public Selection without(int... tokens) {
        var drop = Arrays.stream(tokens).boxed().collect(java.util.stream.Collectors.toSet());
        int[] left = Arrays.stream(kept).filter(k -> !drop.contains(k)).toArray();
        return new Selection(selector + "-" + (kept.length - left.length), left,
                Arrays.stream(anchors).filter(k -> !drop.contains(k)).toArray(), scores, candidates, budget,
                tokensPerFrame);
    }

    /** The same selection under another name (for tables of counterfactuals). */
    public Selection named(String name) {
        return new Selection(name, kept, anchors, scores, candidates, budget, tokensPerFrame);
    }

    /**
     * The selection drawn over the history frames: frames side by side, kept tokens at full brightness with a red
     * outline, dropped tokens dimmed to a quarter. {@code history} holds at least candidates / tokensPerFrame frames.
     */
    public java.awt.image.BufferedImage heatmap(org.inflvg.video.Video history, int scale) {
        int frames = (candidates + tokensPerFrame - 1) / tokensPerFrame;
        if (history.frameCount() < frames) {
            throw new IllegalArgumentException("history has " + history.frameCount() + " frames; the selection covers "
                    + frames);
        }
        int n = history.width(), g = (int) Math.round(Math.sqrt(tokensPerFrame)), patch = n / g;
        int cell = n * scale + scale;
        var img = new java.awt.image.BufferedImage(frames * cell, n * scale, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int f = 0; f < frames; f++) {
            for (int y = 0; y < n * scale; y++) {
                for (int x = 0; x < n * scale; x++) {
                    int py = y / scale, px = x / scale;
                    int token = f * tokensPerFrame + (py / patch) * g + px / patch;
                    boolean kept = keeps(token);
                    boolean edge = kept && ((y % (patch * scale)) == 0 || (x % (patch * scale)) == 0
                            || (y % (patch * scale)) == patch * scale - 1 || (x % (patch * scale)) == patch * scale - 1);
                    float dim = kept ? 1f : 0.25f;
                    int r = (int) (history.get(f, py, px, 0) * 255 * dim), gg = (int) (history.get(f, py, px, 1) * 255 * dim),
                            b = (int) (history.get(f, py, px, 2) * 255 * dim);
                    int rgb = edge ? 0xff2020 : (r << 16) | (gg << 8) | b;
                    img.setRGB(f * cell + x, y, rgb);
                }
            }
        }
        return img;
    }

    /**
     * The histogram of the selector's scores over the history ({@code bins} equal-width bins), kept and dropped tokens as
     * two series: where the budget cut the score distribution. An error for selectors without scores (full, none,
     * window, sink, random).
     */
    public org.knowm.xchart.CategoryChart scoreHistogram(int bins) {
        if (scores == null) {
            throw new IllegalStateException("selector " + selector + " has no per-token scores; attention:K, text:K and "
                    + "policy:K have");
        }
        if (bins < 1 || bins > 200) {
            throw new IllegalArgumentException("bins must be in [1, 200], got " + bins);
        }
        float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
        for (float v : scores) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        double width = hi > lo ? (hi - lo) / bins : 1;
        double[] keptCount = new double[bins], droppedCount = new double[bins];
        for (int i = 0; i < scores.length; i++) {
            int b = (int) Math.min(bins - 1, Math.floor((scores[i] - lo) / width));
            if (keeps(i)) {
                keptCount[b]++;
            } else {
                droppedCount[b]++;
            }
        }
        java.util.List<String> labels = new java.util.ArrayList<>();
        for (int b = 0; b < bins; b++) {
            labels.add(String.format(java.util.Locale.ROOT, "%.2f", lo + (b + 0.5) * width));
        }
        org.knowm.xchart.CategoryChart c = new org.knowm.xchart.CategoryChartBuilder().width(640).height(320)
                .title("scores of " + selector + " (" + size() + " of " + candidates + " kept)").xAxisTitle("score")
                .yAxisTitle("tokens").build();
        c.getStyler().setStacked(true);
        c.getStyler().setXAxisLabelRotation(45);
        c.addSeries("kept", labels, java.util.Arrays.stream(keptCount).boxed().toList());
        c.addSeries("dropped", labels, java.util.Arrays.stream(droppedCount).boxed().toList());
        return c;
    }

    @Override
    public String toString() {
        return "Selection[" + selector + ": " + kept.length + " of " + candidates + " history tokens kept"
                + (anchors.length > 0 ? " (" + anchors.length + " by rule)" : "") + ", per frame "
                + Arrays.toString(keptPerFrame()) + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Selection s && selector.equals(s.selector) && Arrays.equals(kept, s.kept)
                && Arrays.equals(anchors, s.anchors) && candidates == s.candidates && budget == s.budget;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(kept) * 31 + candidates;
    }
}
