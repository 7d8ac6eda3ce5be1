package org.inflvg.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import org.inflvg.InfLVG;
import org.inflvg.Scene;
import org.inflvg.Story;
import org.inflvg.reward.Judge;
import org.inflvg.select.ContextSelector;
import org.inflvg.select.Selectors;
import org.inflvg.world.Action;
import org.inflvg.world.Background;
import org.inflvg.world.Clip;
import org.inflvg.world.Dataset;
import org.inflvg.world.Eps;
import org.inflvg.world.Identity;
import org.inflvg.world.Prompt;
import org.inflvg.world.Split;
import org.inflvg.world.SpriteWorld;
import org.inflvg.world.Subject;

/**
 * What the base model must show, measured with the learned reward models ({@link Judge}, by default
 * {@code data/rewards}): single-scene quality on held-out prompts, and the two phenomena InfLVG exists for on two-scene
 * switches (same individual, new background): background leakage under full context and identity loss without
 * context. "Background seen" is the alignment model's most probable background over the scene's frames; "visible" is a
 * subject presence of at least 0.5; identity is the identity consistency of the new scene against the first
 * (see {@link Judge#identity}); alignment is {@link Judge#alignment} with the new prompt.
 */
public final class BaseModelEvaluation {

    /**
     * Single-scene quality: share of scenes with the prompted background, with a visible subject, and (continuation)
     * the mean identity consistency of the frames after the first chunk with the first chunk — for a continued scene,
     * the generated frames against the rendered chunk they continue (does the individual carry on?); for ground truth,
     * the render against its own first chunk (the judge's ceiling); NaN from noise, where there is nothing to continue.
     */
    public record Quality(String mode, int scenes, double backgroundRight, double subjectVisible, double identity) {
    }

    /** Scene-switch figures for one selector. */
    public record Switch(String selector, int cases, double leak, double newBackground, double identity,
                         double alignment, double msPerChunk) {
    }

    /** All figures, with the judge's calibration on ground-truth renders. */
    public record Report(String model, Quality groundTruth, List<Quality> quality, List<Switch> switches) {
        public String table() {
            StringBuilder sb = new StringBuilder();
            sb.append("model ").append(model).append('\n');
            sb.append(String.format("%-28s %6s %10s %10s %10s%n", "single scene", "n", "bg right", "visible",
                    "identity"));
            List<Quality> all = new ArrayList<>();
            all.add(groundTruth);
            all.addAll(quality);
            for (Quality q : all) {
                sb.append(String.format("%-28s %6d %10.2f %10.2f %10s%n", q.mode(), q.scenes(), q.backgroundRight(),
                        q.subjectVisible(), Double.isNaN(q.identity()) ? "-" : String.format("%.3f", q.identity())));
            }
            sb.append(String.format("%n%-14s %6s %8s %8s %9s %9s %8s%n", "scene switch", "n", "leak", "new bg",
                    "identity", "alignment", "ms/chunk"));
            for (Switch s : switches) {
                sb.append(String.format("%-14s %6d %8.2f %8.2f %9.3f %9.3f %8.0f%n", s.selector(), s.cases(), s.leak(),
                        s.newBackground(), s.identity(), s.alignment(), s.msPerChunk()));
            }
            return sb.toString();
        }
    }

    private BaseModelEvaluation() {
    }

    /** Runs the evaluation: {@code n} held-out single scenes and {@code cases} two-scene switches per selector. */
    public static Report run(InfLVG lvg, int n, int cases, List<ContextSelector> selectors, long seed,
                             IntConsumer progress) {
        return run(lvg, lvg.rewards(), n, cases, selectors, seed, progress);
    }

    /** The evaluation with another judge. */
    public static Report run(InfLVG lvg, Judge judge, int n, int cases, List<ContextSelector> selectors, long seed,
                             IntConsumer progress) {
        int size = lvg.model().config().frameSize();
        SpriteWorld world = new SpriteWorld(org.inflvg.world.WorldConfig.DEFAULT.withSize(size)
                .withFrames(lvg.model().config().sceneFrames()));
        Dataset test = new Dataset(world, Split.TEST, seed);
        int gtBg = 0, gtVis = 0;
        int[] bgRight = new int[2], visible = new int[2];
        double gtIdentity = 0, continuedIdentity = 0;
        int first = lvg.model().config().chunkFrames();
        int done = 0;
        for (int i = 0; i < n; i++) {
            Clip clip = test.clip(i);
            Background bg = clip.prompt().background();
            gtBg += seen(judge, clip.video()) == bg ? 1 : 0;
            gtVis += judge.subjectPresence(clip.video()) >= 0.5 ? 1 : 0;
            gtIdentity += judge.identity(sub(clip.video(), first), clip.video().frames(0, first));
            for (int mode = 0; mode < 2; mode++) {
                Eps eps = new Eps(i, List.of(clip.prompt().toString()), clip.identity().number(), Split.TEST);
                try (Story st = lvg.story(eps).seed(seed + i).startRendered(mode == 1)) {
                    Scene s = st.next();
                    // judge the generated part only: from noise all frames; image-to-video skips the rendered chunk
                    int from = mode == 1 ? lvg.model().config().chunkFrames() : 0;
                    org.inflvg.video.Video v = sub(s.video(), from);
                    bgRight[mode] += seen(judge, v) == bg ? 1 : 0;
                    visible[mode] += judge.subjectPresence(v) >= 0.5 ? 1 : 0;
                    if (mode == 1) {
                        continuedIdentity += judge.identity(v, s.video().frames(0, first));
                    }
                }
            }
            progress.accept(++done);
        }
        List<Quality> q = List.of(
                new Quality("generated from noise", n, bgRight[0] / (double) n, visible[0] / (double) n, Double.NaN),
                new Quality("continued from a render", n, bgRight[1] / (double) n, visible[1] / (double) n,
                        continuedIdentity / n));
        List<Switch> sw = new ArrayList<>();
        for (ContextSelector sel : selectors) {
            int leak = 0, newBg = 0;
            double ms = 0, ident = 0, align = 0;
            SplittableRandom r = new SplittableRandom(seed);
            for (int c = 0; c < cases; c++) {
                Subject subj = Subject.values()[c % Subject.values().length];
                Background b1 = Background.values()[r.nextInt(12)];
                Background b2 = Background.values()[(b1.ordinal() + 1 + r.nextInt(11)) % 12];
                Action a1 = Action.values()[r.nextInt(8)], a2 = Action.values()[r.nextInt(8)];
                Identity id = Dataset.randomIdentity(Split.TEST, r);
                Eps eps = new Eps(c, List.of(new Prompt(subj, a1, b1).toString(), new Prompt(subj, a2, b2).toString()),
                        id.number(), Split.TEST);
                try (Story st = lvg.story(eps).seed(seed * 31 + c).selector(sel)) {
                    Scene s1 = st.next();
                    Scene s2 = st.next();
                    Background seen = seen(judge, s2.video());
                    leak += seen == b1 ? 1 : 0;
                    newBg += seen == b2 ? 1 : 0;
                    ident += judge.identity(s2.video(), s1.video()) / cases;
                    align += judge.alignment(s2.video(), new Prompt(subj, a2, b2)) / cases;
                    ms += s2.msPerChunk();
                }
                progress.accept(++done);
            }
            sw.add(new Switch(sel.name(), cases, leak / (double) cases, newBg / (double) cases, ident, align,
                    ms / cases));
        }
        return new Report(lvg.checksum().substring(0, 12), new Quality("ground-truth renders", n, gtBg / (double) n,
                gtVis / (double) n, gtIdentity / n), q, sw);
    }

    /** The judge's most probable background over a clip's frames. */
    static Background seen(Judge judge, org.inflvg.video.Video v) {
        double[] p = judge.backgroundProbabilities(v);
        int b = 0;
        for (int i = 1; i < p.length; i++) {
            if (p[i] > p[b]) {
                b = i;
            }
        }
        return Background.values()[b];
    }

    /** Default selectors of the phenomena table. */
    public static List<ContextSelector> defaultSelectors() {
        return List.of(Selectors.none(), Selectors.full(), Selectors.window(2), Selectors.random(128));
    }

    static org.inflvg.video.Video sub(org.inflvg.video.Video v, int from) {
        float[] all = v.rgb();
        int per = v.height() * v.width() * 3;
        float[] part = java.util.Arrays.copyOfRange(all, from * per, all.length);
        return org.inflvg.video.Video.of(v.frameCount() - from, v.height(), v.width(), part);
    }

    /** The figures as a map, for JSON. */
    public static Map<String, Object> asMap(Report r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", r.model());
        m.put("groundTruth", r.groundTruth());
        m.put("quality", r.quality());
        m.put("switches", r.switches());
        return m;
    }
}
