package org.inflvg;

import java.util.Arrays;
import org.inflvg.model.KvCache;
import org.inflvg.model.ModelConfig;
import org.inflvg.reward.ColourJudge;
import org.inflvg.select.Selection;
import org.inflvg.video.Video;
import org.inflvg.world.Background;
import tech.tablesaw.api.BooleanColumn;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Context provenance of one scene's selection: for every history token, where it came from (scene, frame, row,
 * column), whether it lies on the subject, its selector score and rank, and whether it was kept.
 *
 * <p><b>On the subject.</b> A token is on the subject when at least {@value #ON_SUBJECT} of its patch's pixels are
 * subject pixels. For frames that were rendered (the first chunk of a story that starts from a SpriteWorld render) the
 * pixels come from the render's ground-truth mask ({@code mask = "truth"}). Generated frames have no ground truth; their
 * subject pixels are the documented colour proxy ({@code mask = "proxy"}): pixels farther than 0.25 (RGB) from every
 * palette colour of the frame's nearest background ({@link ColourJudge#foreignMask}). The proxy also counts as subject
 * anything that is not the frame's background, such as a leaked patch of the previous scene's background when it
 * differs in colour.
 *
 * <p><b>Attention.</b> The share of attention the scene's last chunk paid each kept token in its clean pass (the pass
 * that writes the chunk to the cache, with exactly the scene's context: kept history and the scene's own tokens),
 * softmax over that context, averaged over layers, heads and the chunk's queries; NaN for tokens not kept. It is read
 * afterwards from the queries the cache keeps for attention selectors, so generation pays nothing for it. The
 * denoising steps' queries are not in this column; see the next paragraph.
 *
 * <p><b>Attention over every step</b> ({@code attention_steps}): when the story recorded attention
 * ({@link Story#recordAttention}), the mean share of one query's attention each kept token received over all of the
 * scene's chunks, their denoising steps and clean passes, layers, heads and queries, softmax over the whole context
 * (kept history, the scene's earlier chunks and the chunk itself); NaN when not recorded.
 *
 * <p><b>Full-context attention.</b> For every history token, the attention the last chunk before the switch paid it,
 * softmax over the whole history ({@code full_attention}): what full context would have looked at, and the basis of
 * {@link #droppedButAttended}.
 *
 * <p><b>Score and rank.</b> The selector's score of the token (the policy's logit, the attention received, the text
 * cosine), NaN when the selector has none or for anchors kept by rule; rank 1 is the highest score among the scored
 * tokens, 0 when unscored.
 */
public final class Provenance {

    /** Share of a patch's pixels that must be subject pixels for its token to count as on the subject. */
    public static final double ON_SUBJECT = 0.25;
    /** A kept token drawing less than this fraction of a uniform share of attention is "hardly attended". */
    public static final double IGNORED = 0.1;

    private final int scene;
    private final Selection selection;
    private final int[] frame, row, col, sceneOf, rank;
    private final boolean[] kept, anchor, rendered;
    private final double[] subjectShare;
    private final float[] score;
    private final double[] attention;   // per history token: share of the scene's last chunk's attention (NaN: not kept)
    private final double[] attentionSteps; // per history token: mean share over every step of the scene (recorded), NaN else
    private final double[] fullAttention; // per history token: attention of the last queries before the switch, whole history
    private int contextSize;

    private Provenance(int scene, Selection selection, int history) {
        this.scene = scene;
        this.selection = selection;
        frame = new int[history];
        row = new int[history];
        col = new int[history];
        sceneOf = new int[history];
        rank = new int[history];
        kept = new boolean[history];
        anchor = new boolean[history];
        rendered = new boolean[history];
        subjectShare = new double[history];
        score = new float[history];
        attention = new double[history];
        Arrays.fill(attention, Double.NaN);
        fullAttention = new double[history];
        Arrays.fill(fullAttention, Double.NaN);
        attentionSteps = new double[history];
        Arrays.fill(attentionSteps, Double.NaN);
    }

    /**
     * Per history token of the story's cache (the first {@code history}), the share of its patch's pixels that are
     * subject pixels: the SpriteWorld mask for rendered frames, the colour proxy for generated ones (class javadoc). A
     * token is on the subject when its share is at least {@link #ON_SUBJECT}.
     */
    public static double[] subjectShares(Story story, int history) {
        ModelConfig cfg = story.model().config();
        KvCache cache = story.cache();
        int p = cfg.patch(), size = cfg.frameSize();
        Video video = story.video();
        int renderedFrames = story.isStartRendered() ? cfg.chunkFrames() : 0;
        boolean[][] truth = renderedFrames > 0 ? story.renderedStart().mask() : null;
        ColourJudge judge = new ColourJudge(size);
        int frames = (history + cfg.tokensPerFrame() - 1) / cfg.tokensPerFrame();
        boolean[][] masks = new boolean[frames][];
        for (int f = 0; f < frames; f++) {
            if (f < renderedFrames) {
                masks[f] = truth[f];
            } else {
                Background bg = judge.background(video, f, f + 1);
                masks[f] = judge.foreignMask(video, f, bg);
            }
        }
        double[] shares = new double[history];
        for (int i = 0; i < history; i++) {
            int f = cache.frameOf(i), y0 = cache.rowOf(i) * p, x0 = cache.colOf(i) * p, on = 0;
            for (int y = y0; y < y0 + p; y++) {
                for (int x = x0; x < x0 + p; x++) {
                    if (masks[f][y * size + x]) {
                        on++;
                    }
                }
            }
            shares[i] = on / (double) (p * p);
        }
        return shares;
    }

    /** Provenance of the selection scene {@code t} (1 .. scenes done - 1) of a story used. */
    public static Provenance of(Story story, int t) {
        int done = story.scenes().size();
        if (t < 1 || t >= done) {
            throw new IllegalArgumentException("scene must be in [1, " + (done - 1) + "] (a scene with history; " + done
                    + " scenes are finished), got " + t);
        }
        Selection sel = story.scenes().get(t).selection();
        KvCache cache = story.cache();
        ModelConfig cfg = story.model().config();
        int history = sel.candidates();
        Provenance pv = new Provenance(t, sel, history);
        int renderedFrames = story.isStartRendered() ? cfg.chunkFrames() : 0;
        double[] shares = subjectShares(story, history);
        float[] scores = sel.scores();
        Integer[] order = java.util.stream.IntStream.range(0, history).boxed()
                .filter(i -> scores != null && !Float.isNaN(scores[i])).toArray(Integer[]::new);
        Arrays.sort(order, (a, b) -> Float.compare(scores[b], scores[a]));
        for (int r = 0; r < order.length; r++) {
            pv.rank[order[r]] = r + 1;
        }
        var anchors = java.util.Arrays.stream(sel.anchors()).boxed().collect(java.util.stream.Collectors.toSet());
        for (int i = 0; i < history; i++) {
            int f = cache.frameOf(i);
            pv.frame[i] = f;
            pv.row[i] = cache.rowOf(i);
            pv.col[i] = cache.colOf(i);
            pv.sceneOf[i] = cache.sceneOf(i);
            pv.kept[i] = sel.keeps(i);
            pv.anchor[i] = anchors.contains(i);
            pv.rendered[i] = f < renderedFrames;
            pv.subjectShare[i] = shares[i];
            pv.score[i] = scores == null ? Float.NaN : scores[i];
        }
        double[] paid = story.attentionPaid(t);
        if (paid != null) {
            System.arraycopy(paid, 0, pv.attentionSteps, 0, Math.min(history, paid.length));
        }
        // attention of the scene's last chunk (clean pass) over its real context: kept history + the scene's own tokens
        int end = cache.firstTokenOfScene(t + 1), start = cache.firstTokenOfScene(t);
        int[] context = java.util.stream.IntStream.concat(Arrays.stream(sel.keptTokens()),
                java.util.stream.IntStream.range(start, end)).toArray();
        pv.contextSize = context.length;
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(cache.device())) {
            float[] att = cache.attentionOfChunkEndingAt(end, context, m);
            for (int i = 0; att != null && i < sel.size(); i++) {
                pv.attention[context[i]] = att[i];
            }
            // what full context would have looked at: the last queries before the switch over the whole history
            float[] full = cache.attentionOfChunkEndingAt(start, java.util.stream.IntStream.range(0, history).toArray(), m);
            for (int i = 0; full != null && i < history; i++) {
                pv.fullAttention[i] = full[i];
            }
        }
        return pv;
    }

    /**
     * One row per kept token: token, scene, frame, row, col, anchor, score, rank, attention, subject, subject_share,
     * mask.
     */
    public Table table() {
        return table(true);
    }

    /** One row per history token, kept or not (a {@code kept} column tells which). */
    public Table allTokens() {
        return table(false);
    }

    private Table table(boolean keptOnly) {
        int[] idx = java.util.stream.IntStream.range(0, kept.length).filter(i -> !keptOnly || kept[i]).toArray();
        Table t = Table.create("provenance of scene " + scene + " (" + selection.selector() + ")");
        BooleanColumn k = BooleanColumn.create("kept"), a = BooleanColumn.create("anchor"),
                s = BooleanColumn.create("subject");
        StringColumn m = StringColumn.create("mask");
        DoubleColumn sc = DoubleColumn.create("score"), share = DoubleColumn.create("subject_share"),
                att = DoubleColumn.create("attention");
        for (int i : idx) {
            k.append(kept[i]);
            a.append(anchor[i]);
            s.append(subjectShare[i] >= ON_SUBJECT);
            m.append(rendered[i] ? "truth" : "proxy");
            sc.append(score[i]);
            share.append(subjectShare[i]);
            att.append(attention[i]);
        }
        t.addColumns(IntColumn.create("token", idx),
                IntColumn.create("scene", Arrays.stream(idx).map(i -> sceneOf[i]).toArray()),
                IntColumn.create("frame", Arrays.stream(idx).map(i -> frame[i]).toArray()),
                IntColumn.create("row", Arrays.stream(idx).map(i -> row[i]).toArray()),
                IntColumn.create("col", Arrays.stream(idx).map(i -> col[i]).toArray()));
        if (!keptOnly) {
            t.addColumns(k);
        }
        DoubleColumn fullAtt = DoubleColumn.create("full_attention", Arrays.stream(idx).mapToDouble(i -> fullAttention[i]));
        DoubleColumn steps = DoubleColumn.create("attention_steps", Arrays.stream(idx).mapToDouble(i -> attentionSteps[i]));
        t.addColumns(a, sc, IntColumn.create("rank", Arrays.stream(idx).map(i -> rank[i]).toArray()), att, steps, fullAtt,
                s, share, m);
        return t;
    }

    /**
     * Dropped tokens that full context attended most: the {@code n} history tokens the selection left out with the
     * highest {@code full_attention} - the attention the last chunk before the switch paid them, softmax over the whole
     * history, averaged over layers, heads and queries (the H2O signal; read from queries the cache keeps, so free).
     * What the selector threw away that the model was using. Empty when those queries were not kept.
     */
    public Table droppedButAttended(int n) {
        Table all = allTokens();
        Table dropped = all.where(all.booleanColumn("kept").isFalse()
                .and(all.doubleColumn("full_attention").isNotMissing()));
        return dropped.sortDescendingOn("full_attention").first(Math.max(0, n))
                .setName("dropped tokens full context attended most (" + selection.selector() + ")");
    }

    /**
     * Kept tokens the scene hardly used: attention below {@value #IGNORED} of a uniform share (1 / context size),
     * lowest first. Budget spent on them bought nothing.
     */
    public Table hardlyAttended() {
        Table t = table();
        double limit = IGNORED / Math.max(1, contextSize);
        return t.where(t.doubleColumn("attention").isLessThan(limit)).sortAscendingOn("attention")
                .setName("kept but hardly attended (attention < " + String.format(java.util.Locale.ROOT, "%.2g", limit)
                        + ")");
    }

    /**
     * The tokens of a provenance table (its {@code token} column, e.g. {@link #hardlyAttended()} or
     * {@link #droppedButAttended}) highlighted over the history frames (red outline, everything else dimmed): the
     * diagnostics overlaid on the pictures. {@code history} is the story's video up to the scene.
     */
    public java.awt.image.BufferedImage overlay(Table tokens, Video history, int scale) {
        int[] ids = tokens.intColumn("token").asIntArray();
        Selection marked = new Selection(tokens.name(), ids, new int[0], null, selection.candidates(), -1,
                selection.tokensPerFrame());
        return marked.heatmap(history, scale);
    }

    /** Share of the scene's last chunk's attention that went to the kept history (the rest went to the scene itself). */
    public double attentionToHistory() {
        return Arrays.stream(attention).filter(d -> !Double.isNaN(d)).sum();
    }

    /** Share of the kept tokens that lie on the subject. */
    public double keptOnSubject() {
        return share(true);
    }

    /** Share of all history tokens that lie on the subject (what a random selection would keep). */
    public double historyOnSubject() {
        return share(false);
    }

    private double share(boolean keptOnly) {
        int n = 0, on = 0;
        for (int i = 0; i < kept.length; i++) {
            if (!keptOnly || kept[i]) {
                n++;
                if (subjectShare[i] >= ON_SUBJECT) {
                    on++;
                }
            }
        }
        return n == 0 ? Double.NaN : on / (double) n;
    }

    /** Kept tokens per earlier scene, index = scene. */
    public int[] keptPerScene() {
        int[] out = new int[scene];
        for (int i = 0; i < kept.length; i++) {
            if (kept[i]) {
                out[sceneOf[i]]++;
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "Provenance[scene %d, %s: %d of %d history tokens kept, %.0f %% of "
                + "them on the subject (history: %.0f %%), per scene %s, %.0f %% of the last chunk's attention on them]",
                scene, selection.selector(), selection.size(), kept.length, 100 * keptOnSubject(),
                100 * historyOnSubject(), Arrays.toString(keptPerScene()), 100 * attentionToHistory());
    }
}
