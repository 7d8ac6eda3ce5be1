package org.inflvg.reward;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.inflvg.model.AdamW;
import org.inflvg.model.Scalars;
import org.inflvg.video.Video;
import org.inflvg.world.Action;
import org.inflvg.world.Background;
import org.inflvg.world.Clip;
import org.inflvg.world.Dataset;
import org.inflvg.world.Identity;
import org.inflvg.world.Prompt;
import org.inflvg.world.Split;
import org.inflvg.world.SpriteWorld;
import org.inflvg.world.Subject;

/**
 * Trains the reward models from SpriteWorld ground truth (train-split identities only) in three stages - identity
 * encoder, alignment model, artifact score - and evaluates them on test-split identities. After each stage the models
 * are saved to the output folder with the stages done, so an interrupted run resumes at the next stage.
 */
public final class RewardTrainer {

    /**
     * @param identitySteps  optimiser steps of the identity encoder (contrastive, 24 individuals x 2 views a step)
     * @param alignmentSteps optimiser steps of the alignment model (24 clips a step)
     * @param artifactClips  clean training clips for the artifact score (as many corrupted ones)
     * @param evalClips      test clips (and pairs) for the figures
     * @param seed           seed of initialisation and data
     */
    public record Settings(int identitySteps, int alignmentSteps, int artifactClips, int evalClips, long seed) {

        /** The settings of the shipped models. */
        public static final Settings DEFAULT = new Settings(1500, 1500, 400, 400, 0);

        public Settings {
            if (identitySteps < 0 || alignmentSteps < 0 || artifactClips < 8 || evalClips < 8) {
                throw new IllegalArgumentException("reward training needs steps >= 0 and at least 8 artifact and 8 "
                        + "evaluation clips, got " + identitySteps + ", " + alignmentSteps + ", " + artifactClips + ", "
                        + evalClips);
            }
        }
    }

    /** Progress of a stage. */
    public interface Listener {
        void step(String stage, int step, int total, double loss);
    }

    static final int ID_BATCH = 24, ALIGN_BATCH = 24;
    private final Settings settings;
    /** Steps already trained in the output folder (a run asked for more continues from there). */
    private int identityDone, alignmentDone;
    private final Path out;
    private final SpriteWorld world = SpriteWorld.standard();

    private final ai.djl.Device device;

    /** Trains on the CPU (the embedded default host's device). */
    public RewardTrainer(Settings settings, Path out) {
        this(settings, out, ai.djl.Device.cpu());
    }

    /** Trains on {@code device} (a host's, {@code HostConfig.djlDevice()}); a resumed folder is loaded there too. */
    public RewardTrainer(Settings settings, Path out, ai.djl.Device device) {
        this.settings = settings;
        this.out = out;
        this.device = device;
    }

    /** Trains (or resumes), evaluates, saves and returns the models; the caller closes them. */
    public RewardModels train(Listener listener) {
        Set<String> done = new HashSet<>();
        RewardModels models;
        if (out != null && Files.isRegularFile(out.resolve(RewardModels.CONFIG))) {
            models = RewardModels.load(out, device);
            models.figures().path("stagesDone").forEach(n -> done.add(n.asText()));
            identityDone = models.figures().path("identityStepsDone").asInt(done.contains("identity") ? Integer.MAX_VALUE : 0);
            alignmentDone = models.figures().path("alignmentStepsDone").asInt(done.contains("alignment") ? Integer.MAX_VALUE : 0);
            if (identityDone < settings.identitySteps()) {
                done.remove("identity");
            }
            if (alignmentDone < settings.alignmentSteps()) {
                done.remove("alignment");
            }
        } else {
            models = RewardModels.create(NDManager.newBaseManager(device), settings.seed());
        }
        try {
            Engine.getInstance().setRandomSeed((int) settings.seed());
            if (!done.contains("identity")) {
                trainIdentity(models, listener);
                done.add("identity");
                checkpoint(models, done, null);
            }
            if (!done.contains("alignment")) {
                trainAlignment(models, listener);
                done.add("alignment");
                checkpoint(models, done, null);
            }
            if (!done.contains("artifact")) {
                fitArtifact(models, listener);
                done.add("artifact");
                checkpoint(models, done, null);
            }
            ObjectNode figures = evaluate(models, settings.evalClips(), settings.seed() + 1, listener);
            checkpoint(models, done, figures);
            return models;
        } catch (RuntimeException e) {
            models.close();
            throw e;
        }
    }

    private void checkpoint(RewardModels models, Set<String> done, ObjectNode figures) {
        ObjectNode f = figures != null ? figures : RewardModels.JSON.createObjectNode();
        ArrayNode d = f.putArray("stagesDone");
        done.forEach(d::add);
        f.put("identityStepsDone", Math.min(identityDone, settings.identitySteps()));
        f.put("alignmentStepsDone", Math.min(alignmentDone, settings.alignmentSteps()));
        models.figures(f);
        if (out != null) {
            Map<String, Object> prov = new LinkedHashMap<>();
            prov.put("command", "./inflvg train rewards --out " + out);
            prov.put("settings", settings);
            models.save(out, prov);
        }
    }

    // ---------------------------------------------------------------- identity encoder

    private void trainIdentity(RewardModels models, Listener listener) {
        identityDone = trainStage("identity", models, models.identityWeights, identityDone, settings.identitySteps(),
                7919, 1, (m, r) -> contrastiveLoss(models, m, identityBatch(r, ID_BATCH, Split.TRAIN)), listener);
    }

    /**
     * One stage's optimiser loop, steps {@code from .. total-1}: AdamW (beta 0.9/0.99, weight decay 1e-4, clip 2) with
     * warm-up and cosine over the steps to go; step s draws its data from a random source seeded by (seed, s).
     * Returns the steps done.
     */
    private int trainStage(String name, RewardModels models, org.inflvg.model.Weights weights, int from, int total,
                           long seedMul, long salt, java.util.function.BiFunction<NDManager, SplittableRandom, NDArray> loss,
                           Listener listener) {
        NDManager root = models.manager();
        int done = from;
        try (AdamW opt = new AdamW(weights, root, 0.9, 0.99, 1e-4)) {
            weights.requireGradients();
            for (int step = from; step < total; step++) {
                SplittableRandom r = new SplittableRandom(settings.seed() * seedMul + step * 0x9E3779B97F4A7C15L + salt);
                double value;
                try (NDManager m = root.newSubManager(); NDScope scope = new NDScope();
                     GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray l = loss.apply(m, r);
                    gc.backward(l);
                    value = l.getFloat();
                }
                opt.update(cosine(1e-3, step - from, total - from), 2.0);
                done = step + 1;
                listener.step(name, done, total, value);
            }
        }
        return done;
    }

    /** 2 x n frames: views i and n + i show the same individual (different background and action). */
    List<Video> identityBatch(SplittableRandom r, int n, Split split) {
        Subject c = Subject.values()[r.nextInt(Subject.values().length)];
        Set<Integer> used = new HashSet<>();
        List<Video> a = new ArrayList<>(), b = new ArrayList<>();
        while (a.size() < n) {
            Identity id = Dataset.randomIdentity(split, r);
            if (!used.add(id.number())) {
                continue;
            }
            Background b1 = Background.values()[r.nextInt(Background.values().length)];
            Background b2 = Background.values()[(b1.ordinal() + 1 + r.nextInt(Background.values().length - 1))
                    % Background.values().length];
            a.add(oneFrame(new Prompt(c, randomAction(r), b1), id, r));
            b.add(oneFrame(new Prompt(c, randomAction(r), b2), id, r));
        }
        a.addAll(b);
        return a;
    }

    private Video oneFrame(Prompt p, Identity id, SplittableRandom r) {
        Video v = world.render(p, id, r.nextLong()).video();
        int f = r.nextInt(v.frameCount());
        return Corruptions.augment(v.frames(f, f + 1), r);
    }

    private static Action randomAction(SplittableRandom r) {
        return Action.values()[r.nextInt(Action.values().length)];
    }

    /** Symmetric InfoNCE with temperature 0.1 over 2n views (the positive of view i is view i +- n). */
    static NDArray contrastiveLoss(RewardModels models, NDManager m, List<Video> views) {
        int n2 = views.size(), n = n2 / 2;
        NDArray x = stack(m, views);
        NDArray z = RewardModels.normalise(models.identityNet.forward(x));
        NDArray sim = Scalars.mul(z.matMul(z.transpose()), 10);
        float[] diag = new float[n2 * n2], target = new float[n2 * n2];
        for (int i = 0; i < n2; i++) {
            diag[i * n2 + i] = 1e4f;
            target[i * n2 + (i + n) % n2] = 1f;
        }
        NDArray logp = sim.sub(m.create(diag, new Shape(n2, n2))).logSoftmax(1);
        return Scalars.div(logp.mul(m.create(target, new Shape(n2, n2))).sum().neg(), n2);
    }

    private static NDArray stack(NDManager m, List<Video> clips) {
        List<NDArray> parts = new ArrayList<>();
        for (Video v : clips) {
            parts.add(ConvNet.frames(m, v, 0, v.frameCount()));
        }
        return NDArrays.concat(new NDList(parts), 0);
    }

    // ---------------------------------------------------------------- alignment model

    private void trainAlignment(RewardModels models, Listener listener) {
        alignmentDone = trainStage("alignment", models, models.alignmentWeights, alignmentDone,
                settings.alignmentSteps(), 104729, 2, (m, r) -> alignmentLoss(models, m, r), listener);
    }

    NDArray alignmentLoss(RewardModels models, NDManager m, SplittableRandom r) {
        int nb = Background.values().length, ns = RewardModels.SUBJECTS + 1;
        List<Video> frames = new ArrayList<>(), windows = new ArrayList<>();
        List<float[]> subjTarget = new ArrayList<>(), bgTarget = new ArrayList<>();
        int[] actions = new int[ALIGN_BATCH];
        int len = 2 + r.nextInt(7); // action windows of 2..8 frames, one length per step
        for (int i = 0; i < ALIGN_BATCH; i++) {
            Prompt p = new Prompt(Subject.values()[r.nextInt(Subject.values().length)], randomAction(r),
                    Background.values()[r.nextInt(nb)]);
            Identity id = Dataset.randomIdentity(Split.TRAIN, r);
            long seed = r.nextLong();
            Video v = world.render(p, id, seed).video();
            float[] bg = new float[nb];
            if (r.nextDouble() < 0.25) { // two backgrounds in one frame: soft label by area
                Background other = Background.values()[(p.background().ordinal() + 1 + r.nextInt(nb - 1)) % nb];
                Video w = world.render(new Prompt(p.subject(), p.action(), other), id, seed).video();
                int cut = 6 + r.nextInt(21);
                v = splice(v, w, cut);
                bg[p.background().ordinal()] = cut / (float) v.width();
                bg[other.ordinal()] = 1 - cut / (float) v.width();
            } else {
                bg[p.background().ordinal()] = 1;
            }
            v = Corruptions.augment(v, r);
            int start = r.nextInt(v.frameCount() - len + 1);
            windows.add(v.frames(start, start + len));
            actions[i] = p.action().ordinal();
            for (int k = 0; k < 2; k++) {
                int f = r.nextInt(v.frameCount());
                frames.add(v.frames(f, f + 1));
                float[] s = new float[ns];
                s[p.subject().ordinal()] = 1;
                subjTarget.add(s);
                bgTarget.add(bg);
            }
        }
        for (int i = 0; i < ALIGN_BATCH / 4; i++) { // frames with no subject at all
            Background b = Background.values()[r.nextInt(nb)];
            frames.add(Corruptions.augment(world.renderBackground(b, r.nextLong()), r));
            float[] s = new float[ns];
            s[RewardModels.NONE] = 1;
            subjTarget.add(s);
            float[] bg = new float[nb];
            bg[b.ordinal()] = 1;
            bgTarget.add(bg);
        }
        NDArray logits = models.frameNet.forward(stack(m, frames));
        NDArray ls = logits.get(":, 0:" + ns).logSoftmax(1), lb = logits.get(":, " + ns + ":").logSoftmax(1);
        NDArray ts = m.create(flatten(subjTarget), new Shape(frames.size(), ns));
        NDArray tb = m.create(flatten(bgTarget), new Shape(frames.size(), nb));
        NDArray frameLoss = Scalars.div(ls.mul(ts).sum().add(lb.mul(tb).sum()).neg(), frames.size());
        List<NDArray> pairs = new ArrayList<>();
        for (Video w : windows) {
            pairs.add(ConvNet.pairs(m, w));
        }
        NDArray pf = models.pairNet.forward(NDArrays.concat(new NDList(pairs), 0))
                .reshape(ALIGN_BATCH, len - 1, RewardModels.PAIR_FEATURES).mean(new int[] {1});
        NDArray la = models.actionLogits(pf).logSoftmax(1);
        float[] ta = new float[ALIGN_BATCH * RewardModels.ACTIONS];
        for (int i = 0; i < ALIGN_BATCH; i++) {
            ta[i * RewardModels.ACTIONS + actions[i]] = 1;
        }
        NDArray actionLoss = Scalars.div(la.mul(m.create(ta, new Shape(ALIGN_BATCH, RewardModels.ACTIONS))).sum().neg(),
                ALIGN_BATCH);
        return frameLoss.add(actionLoss);
    }

    /** Columns left of {@code cut} from {@code a}, the rest from {@code b}. */
    static Video splice(Video a, Video b, int cut) {
        float[] x = a.rgb(), y = b.rgb();
        int w = a.width();
        for (int i = 0; i < x.length; i += 3) {
            if ((i / 3) % w >= cut) {
                System.arraycopy(y, i, x, i, 3);
            }
        }
        return Video.of(a.frameCount(), a.height(), w, x);
    }

    private static float[] flatten(List<float[]> rows) {
        int k = rows.get(0).length;
        float[] out = new float[rows.size() * k];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, out, i * k, k);
        }
        return out;
    }

    // ---------------------------------------------------------------- artifact score

    private void fitArtifact(RewardModels models, Listener listener) {
        List<double[]> clean = new ArrayList<>(), bad = new ArrayList<>();
        int n = settings.artifactClips();
        Dataset data = new Dataset(world, Split.TRAIN, settings.seed() + 3);
        SplittableRandom r = new SplittableRandom(settings.seed() + 4);
        for (int i = 0; i < n; i++) {
            Clip c = data.clip(i);
            clean.add(ArtifactScore.features(c.video()));
            bad.add(ArtifactScore.features(corrupt(c, i, r)));
            listener.step("artifact", i + 1, n, Double.NaN);
        }
        models.artifact = ArtifactScore.fit(clean, bad, 3000);
    }

    /** The i-th clip's corruption: kinds in turn; frozen frames only where the subject moves. */
    static Video corrupt(Clip c, int i, SplittableRandom r) {
        Corruptions.Kind k = Corruptions.Kind.values()[i % Corruptions.Kind.values().length];
        if (k == Corruptions.Kind.FROZEN && c.prompt().action() == Action.STANDS_STILL) {
            k = Corruptions.Kind.BLUR;
        }
        return Corruptions.apply(c.video(), k, r);
    }

    // ---------------------------------------------------------------- evaluation

    /**
     * The acceptance figures on test-split identities: identity verification ROC AUC (clip level, as the reward
     * computes it, and single frames), subject / action / background accuracy and the background confusion matrix,
     * alignment of correct, half-old-background and old-background clips with the new prompt, and the artifact
     * score's ROC AUC of clean against corrupted clips (all and per kind).
     */
    public static ObjectNode evaluate(RewardModels models, int n, long seed, Listener listener) {
        RewardTrainer t = new RewardTrainer(new Settings(0, 0, 8, Math.max(8, n), seed), null);
        ObjectNode f = RewardModels.JSON.createObjectNode();
        SplittableRandom r = new SplittableRandom(seed * 31 + 5);
        // identity verification: same individual vs another of the same category, always on different backgrounds
        List<Double> same = new ArrayList<>(), diff = new ArrayList<>(), sameF = new ArrayList<>(), diffF = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Subject c = Subject.values()[r.nextInt(Subject.values().length)];
            Identity a = Dataset.randomIdentity(Split.TEST, r), b;
            do {
                b = Dataset.randomIdentity(Split.TEST, r);
            } while (b.equals(a));
            Background b1 = Background.values()[r.nextInt(12)], b2 = Background.values()[(b1.ordinal() + 1 + r.nextInt(11)) % 12];
            Video va = t.world.render(new Prompt(c, randomAction(r), b1), a, r.nextLong()).video();
            Video vs = t.world.render(new Prompt(c, randomAction(r), b2), a, r.nextLong()).video();
            Video vd = t.world.render(new Prompt(c, randomAction(r), b2), b, r.nextLong()).video();
            List<RewardModels.ClipAnalysis> an = models.analyse(List.of(va, vs, vd));
            int[] all = RewardModels.spread(8, 8);
            same.add(RewardModels.crossCosine(an.get(0).embeddings(), all, an.get(1).embeddings(), all));
            diff.add(RewardModels.crossCosine(an.get(0).embeddings(), all, an.get(2).embeddings(), all));
            int fa = r.nextInt(8), fb = r.nextInt(8);
            sameF.add(RewardModels.crossCosine(an.get(0).embeddings(), new int[] {fa}, an.get(1).embeddings(), new int[] {fb}));
            diffF.add(RewardModels.crossCosine(an.get(0).embeddings(), new int[] {fa}, an.get(2).embeddings(), new int[] {fb}));
            listener.step("evaluate identity", i + 1, n, Double.NaN);
        }
        f.put("identityAucClip", auc(same, diff));
        f.put("identityAucFrame", auc(sameF, diffF));
        f.put("identityMeanSame", mean(same));
        f.put("identityMeanDifferent", mean(diff));
        // attribute accuracy on test identities (all action/background pairs, held-out ones included)
        Dataset test = new Dataset(t.world, Split.TEST, seed + 11);
        int okS = 0, okA = 0, okB = 0;
        int[][] confusion = new int[12][12];
        double alignOk = 0, alignHalf = 0, alignOld = 0;
        for (int i = 0; i < n; i++) {
            Clip c = test.clip(i);
            Prompt p = c.prompt();
            Background old = Background.values()[(p.background().ordinal() + 1 + r.nextInt(11)) % 12];
            Video oldClip = t.world.render(new Prompt(p.subject(), p.action(), old), c.identity(), c.seed()).video();
            Video half = oldClip.frames(0, 4).concat(c.video().frames(4, 8));
            List<RewardModels.ClipAnalysis> an = models.analyse(List.of(c.video(), half, oldClip));
            RewardModels.ClipAnalysis a = an.get(0);
            okS += argmax(meanRows(a.subject())) == p.subject().ordinal() ? 1 : 0;
            okA += argmax(a.action()) == p.action().ordinal() ? 1 : 0;
            int pb = argmax(meanRows(a.background()));
            okB += pb == p.background().ordinal() ? 1 : 0;
            confusion[p.background().ordinal()][pb]++;
            alignOk += a.alignment(p) / n;
            alignHalf += an.get(1).alignment(p) / n;
            alignOld += an.get(2).alignment(p) / n;
            listener.step("evaluate alignment", i + 1, n, Double.NaN);
        }
        f.put("subjectAccuracy", okS / (double) n);
        f.put("actionAccuracy", okA / (double) n);
        f.put("backgroundAccuracy", okB / (double) n);
        f.set("backgroundConfusion", RewardModels.JSON.valueToTree(confusion));
        f.put("alignmentCorrect", alignOk);
        f.put("alignmentHalfOldBackground", alignHalf);
        f.put("alignmentOldBackground", alignOld);
        // no subject: presence on background-only frames vs on rendered frames
        double presBg = 0;
        for (int i = 0; i < 16; i++) {
            presBg += models.subjectPresence(t.world.renderBackground(Background.values()[i % 12], i)) / 16;
        }
        f.put("presenceOnEmptyBackground", presBg);
        // artifact score
        Dataset art = new Dataset(t.world, Split.TEST, seed + 13);
        List<Double> clean = new ArrayList<>();
        Map<Corruptions.Kind, List<Double>> bad = new LinkedHashMap<>();
        for (Corruptions.Kind k : Corruptions.Kind.values()) {
            bad.put(k, new ArrayList<>());
        }
        for (int i = 0; i < n; i++) {
            Clip c = art.clip(i);
            clean.add(models.artifact(c.video()));
            Corruptions.Kind k = Corruptions.Kind.values()[i % 4];
            if (k == Corruptions.Kind.FROZEN && c.prompt().action() == Action.STANDS_STILL) {
                k = Corruptions.Kind.NOISE;
            }
            bad.get(k).add(models.artifact(Corruptions.apply(c.video(), k, r)));
            listener.step("evaluate artifact", i + 1, n, Double.NaN);
        }
        List<Double> allBad = new ArrayList<>();
        ObjectNode per = f.putObject("artifactAucByKind");
        for (var e : bad.entrySet()) {
            allBad.addAll(e.getValue());
            per.put(e.getKey().name().toLowerCase(), auc(clean, e.getValue()));
        }
        f.put("artifactAuc", auc(clean, allBad));
        f.put("artifactMeanClean", mean(clean));
        f.put("artifactMeanCorrupted", mean(allBad));
        f.put("evaluationClips", n);
        return f;
    }

    /** ROC AUC: the probability that a positive scores above a negative (ties count half). */
    public static double auc(List<Double> pos, List<Double> neg) {
        double s = 0;
        for (double p : pos) {
            for (double q : neg) {
                s += p > q ? 1 : p == q ? 0.5 : 0;
            }
        }
        return s / ((double) pos.size() * neg.size());
    }

    private static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    static float[] meanRows(float[][] rows) {
        float[] m = new float[rows[0].length];
        for (float[] row : rows) {
            for (int i = 0; i < m.length; i++) {
                m[i] += row[i] / rows.length;
            }
        }
        return m;
    }

    static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double cosine(double peak, int step, int total) {
        int warm = Math.max(1, Math.min(100, total / 10));
        if (step < warm) {
            return peak * (step + 1) / warm;
        }
        double p = (step - warm) / (double) Math.max(1, total - warm);
        return peak * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * p)));
    }
}
