package org.inflvg.grpo;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.inflvg.Story;
import org.inflvg.model.AdamW;
import org.inflvg.model.ChunkGenerator;
import org.inflvg.model.ModelConfig;
import org.inflvg.model.Patches;
import org.inflvg.model.Scalars;
import org.inflvg.model.VideoModel;
import org.inflvg.policy.ContextPolicy;
import org.inflvg.select.PlackettLuce;
import org.inflvg.select.Selection;
import org.inflvg.select.SelectionRequest;
import org.inflvg.video.Video;

/**
 * GRPO for the context policy, one scene transition at a time, in the algorithm's order: sample a group of selections
 * from the policy (Plackett-Luce, K tokens each) -> roll out the new scene's first chunks under each, batched, with the
 * same noise -> score with the reward -> group-normalised advantages -> loss -> clip -> AdamW step -> log.
 *
 * <p>Loss per member: -min(rho A, clip(rho, 1 - eps, 1 + eps) A) with rho = exp(log pi - log pi_old), plus an
 * optional k3 KL towards the sampling policy; in the first epoch rho = 1 and the gradient is A * grad log pi.
 */
public final class GrpoTrainer implements AutoCloseable {

    private final VideoModel model;
    private final ContextPolicy policy;
    private final RewardFunction reward;
    private final GrpoConfig cfg;
    private final NDManager manager;
    private final AdamW optimizer;
    private long steps;
    /** Groups whose gradients wait for the next optimiser step (gradient accumulation). */
    private int pending;
    /** Multiple of the configured learning rate for the next optimiser steps (a schedule's current value). */
    private double lrScale = 1;
    /** The frozen reference policy of the reference KL term (null when refKlCoef is 0). */
    private final ContextPolicy reference;

    public GrpoTrainer(VideoModel model, ContextPolicy policy, RewardFunction reward, GrpoConfig cfg) {
        this.model = model;
        this.policy = policy;
        this.reward = reward;
        this.cfg = cfg;
        this.manager = NDManager.newBaseManager(model.device());
        this.optimizer = new AdamW(policy.weights(), manager, 0.9, 0.999, 0.0);
        if (cfg.refKlCoef() > 0) {
            reference = new ContextPolicy(policy.config(), manager, 0);
            reference.weights().copyFrom(policy.weights());
        } else {
            reference = null;
        }
        policy.weights().requireGradients();
    }

    public GrpoConfig config() {
        return cfg;
    }

    /**
     * Sets the multiple of the configured learning rate used from the next optimiser step on (a schedule, e.g.
     * {@link GrpoConfig#learningRateScale}); 0 leaves the weights where they are, 1 is the configured rate.
     */
    public void learningRateScale(double scale) {
        if (!(scale >= 0 && scale <= 1)) {
            throw new IllegalArgumentException("learning-rate scale must be in [0, 1], got " + scale);
        }
        lrScale = scale;
    }

    /** Updates done so far. */
    public long steps() {
        return steps;
    }

    /**
     * One update on the story's next transition (the story must have at least one finished scene and one to go).
     * The story itself is not advanced.
     */
    public GrpoStep step(Story story) {
        int s = story.scenes().size();
        if (s == 0 || !story.hasNext()) {
            throw new IllegalStateException("GRPO needs a story between scenes: at least one finished scene and one to "
                    + "generate (call story.next() first); this story has " + s + " of " + story.eps().size());
        }
        ModelConfig mc = model.config();
        String prompt = story.eps().scenes().get(s);
        SelectionRequest req = new SelectionRequest(model, story.cache(), story.cache().size(), prompt,
                SelectionRequest.subjectOf(prompt), s, story.seedValue());
        int[][] ca = policy.candidatesAndAnchors(req);
        int[] cand = ca[0], anchors = ca[1];
        int k = policy.config().budget();
        if (k > cand.length) {
            throw new IllegalArgumentException("policy budget K must be in [1, " + cand.length + "] (candidates at scene "
                    + s + "), got " + k);
        }
        int G = cfg.groupSize();
        try (NDManager m = manager.newSubManager()) {
            NDArray[] in = policy.inputs(req, cand, m);
            // 1. sample the group from the current policy
            float[] logits;
            try (var ng = new NoGrad()) {
                logits = policy.logits(in).toFloatArray();
            }
            Random rnd = new Random(cfg.seed() * 1_000_003L + steps);
            int[][] draws = new int[G][];
            int[][] keep = new int[G][];
            List<Selection> selections = new ArrayList<>();
            for (int g = 0; g < G; g++) {
                draws[g] = PlackettLuce.sample(logits, k, rnd);
                keep[g] = new int[anchors.length + k];
                System.arraycopy(anchors, 0, keep[g], 0, anchors.length);
                for (int i = 0; i < k; i++) {
                    keep[g][anchors.length + i] = cand[draws[g][i]];
                }
                selections.add(new Selection("policy:" + k + "#" + g, keep[g], anchors, null, req.history(), k,
                        mc.tokensPerFrame()));
            }
            // 2. roll out the new scene's first chunks under each selection, batched, same noise
            long t0 = System.nanoTime();
            float[][] tokens = ChunkGenerator.rollout(model, story.cache(), keep, model.tokenize(prompt),
                    s * mc.sceneFrames(), cfg.rolloutChunks(), story.noiseSeedOf(s));
            List<Video> clips = new ArrayList<>();
            for (float[] t : tokens) {
                clips.add(Patches.toVideo(t, cfg.rolloutChunks() * mc.chunkFrames(), mc.frameSize(), mc.patch()));
            }
            double rolloutMs = (System.nanoTime() - t0) / 1e6;
            // 3. reward
            t0 = System.nanoTime();
            Group group = new Group(prompt, story.eps().scenes().get(s - 1), story.video(), story.identity(),
                    selections, clips);
            List<RewardFunction.Score> scores = reward.score(group);
            double[] r = scores.stream().mapToDouble(RewardFunction.Score::total).toArray();
            double rewardMs = (System.nanoTime() - t0) / 1e6;
            // 4. group-normalised advantages
            double[] adv = Advantage.of(r);
            boolean zero = Advantage.zeroSpread(r);
            // 5-7. loss, clip, step (skipped when the group has no spread: it carries no signal)
            t0 = System.nanoTime();
            double loss = 0, kl = 0, clipFrac = 0, norm = 0;
            double[] logPiOld = logProbs(m, in, draws, null);
            double samplerRatio = 0; // the loss's log pi against the sampler's own: must be 1
            for (int g = 0; g < G; g++) {
                samplerRatio += Math.exp(logPiOld[g] - PlackettLuce.logProb(logits, draws[g])) / G;
            }
            double[] logPiRef = reference == null ? null : referenceLogProbs(m, in, draws);
            if (!zero) {
                for (int e = 0; e < cfg.epochs(); e++) {
                    double[] out = new double[3];
                    try (NDScope scope = new NDScope();
                         GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray l = lossOf(m, in, draws, logPiOld, logPiRef, adv, out);
                        gc.backward(cfg.accumulate() > 1 ? Scalars.div(l, cfg.accumulate()) : l);
                        loss = l.getFloat();
                    }
                    kl = out[1];
                    clipFrac = out[2];
                    if (++pending >= cfg.accumulate()) {
                        norm = optimizer.update(cfg.learningRate() * lrScale, cfg.clipGrad());
                        pending = 0;
                    }
                }
            }
            double updateMs = (System.nanoTime() - t0) / 1e6;
            // 8. log
            List<GrpoStep.Member> members = new ArrayList<>();
            for (int g = 0; g < G; g++) {
                int[] chosen = new int[k];
                for (int i = 0; i < k; i++) {
                    chosen[i] = cand[draws[g][i]];
                }
                java.util.Arrays.sort(chosen);
                members.add(new GrpoStep.Member(g, keep[g].length, selections.get(g).keptPerFrame(),
                        scores.get(g).components(), r[g], adv[g], logPiOld[g], chosen));
            }
            steps++;
            return new GrpoStep(steps, s, prompt, members, zero, loss, kl, clipFrac, norm,
                    PlackettLuce.entropy(logits), rolloutMs, rewardMs, updateMs, samplerRatio, cand.length);
        }
    }

    /**
     * The reward of the policy's deterministic top-K selection on the story's next transition (one rollout of the same
     * chunks, same noise): the figure GRPO should raise.
     */
    public RewardFunction.Score evaluate(Story story) {
        int s = story.scenes().size();
        ModelConfig mc = model.config();
        String prompt = story.eps().scenes().get(s);
        Selection sel = topK(story);
        int[][] keep = {sel.keptTokens()};
        float[][] tokens = ChunkGenerator.rollout(model, story.cache(), keep, model.tokenize(prompt), s * mc.sceneFrames(),
                cfg.rolloutChunks(), story.noiseSeedOf(s));
        Video clip = Patches.toVideo(tokens[0], cfg.rolloutChunks() * mc.chunkFrames(), mc.frameSize(), mc.patch());
        Group g = new Group(prompt, story.eps().scenes().get(s - 1), story.video(), story.identity(), List.of(sel),
                List.of(clip));
        return reward.score(g).get(0);
    }

    /**
     * The policy's deterministic top-K selection for the story's next transition, as {@link #evaluate} scores it and
     * as the policy is used after training; no rollout.
     */
    public Selection topK(Story story) {
        int s = story.scenes().size();
        String prompt = story.eps().scenes().get(s);
        SelectionRequest req = new SelectionRequest(model, story.cache(), story.cache().size(), prompt,
                SelectionRequest.subjectOf(prompt), s, story.seedValue());
        return new org.inflvg.policy.PolicySelector(policy, policy.config().budget(), false).select(req);
    }

    /** Saves the optimiser's moments and step count beside a policy checkpoint. */
    public void saveState(java.nio.file.Path dir) {
        optimizer.save(dir);
    }

    /** Restores the optimiser's moments saved by {@link #saveState}. */
    public void loadState(java.nio.file.Path dir, long step) {
        optimizer.load(dir, step);
        steps = step;
    }

    /** log pi of each member's ordered draw, [G] (no gradient when collector is absent). */
    private double[] logProbs(NDManager m, NDArray[] in, int[][] draws, Object unused) {
        try (var ng = new NoGrad(); NDScope scope = new NDScope()) {
            float[] v = logPi(m, policy.logits(in), draws).toFloatArray();
            double[] out = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                out[i] = v[i];
            }
            return out;
        }
    }

    /**
     * Exact Plackett-Luce log-probabilities with gradients, [G]: log pi_g = sum_i [x_{s_i} - LSE(R_i)], where x are the
     * logits, R_i the candidates not drawn before step i and LSE the log-sum-exp (the softmax normaliser cancels; this
     * is sum_i [log p_{s_i} - log(1 - sum_{j<i} p_{s_j})] without its subtraction, which loses every digit in float32
     * once a near-deterministic policy's dominant candidates are drawn). R_i is the never-drawn candidates plus draws
     * i..K-1; each LSE(R_i) is shifted by the largest logit in R_i (a constant: the value does not depend on it), so
     * every exponential is at most 1 and every sum at least 1. Cost: a [G, K, K] masked array.
     */
    static NDArray logPi(NDManager m, NDArray logits, int[][] draws) {
        int G = draws.length, K = draws[0].length;
        int M = (int) logits.getShape().get(0);
        float[] x = logits.toFloatArray();
        long[] idx = new long[G * K];
        float[] drawnMask = new float[G * M];
        float[] neverMax = new float[G];
        for (int g = 0; g < G; g++) {
            boolean[] drawn = new boolean[M];
            for (int i = 0; i < K; i++) {
                idx[g * K + i] = draws[g][i];
                drawn[draws[g][i]] = true;
                drawnMask[g * M + draws[g][i]] = -MASK;
            }
            neverMax[g] = -MASK; // no never-drawn candidate (K = M): their LSE is then ~ -1e30, i.e. no mass
            for (int j = 0; j < M; j++) {
                if (!drawn[j]) {
                    neverMax[g] = Math.max(neverMax[g], x[j]);
                }
            }
        }
        NDArray all = logits.reshape(1, M).broadcast(new Shape(G, M));                         // [G, M]
        NDArray sel = all.gather(m.create(idx, new Shape(G, K)), 1);                            // [G, K]
        NDArray nMax = m.create(neverMax, new Shape(G, 1));
        NDArray never = all.add(m.create(drawnMask, new Shape(G, M))).sub(nMax).exp()           // LSE of the never-drawn
                .sum(new int[] {1}, true).log().add(nMax);                                      // [G, 1]
        float[] nv = never.toFloatArray();
        float[] shift = new float[G * K];                                                       // max logit of R_i
        for (int g = 0; g < G; g++) {
            float run = nv[g];
            for (int i = K - 1; i >= 0; i--) {
                run = Math.max(run, x[draws[g][i]]);
                shift[g * K + i] = run;
            }
        }
        float[] upper = new float[K * K];                                                       // 0 where j >= i
        for (int i = 0; i < K; i++) {
            for (int j = 0; j < i; j++) {
                upper[i * K + j] = -MASK;
            }
        }
        NDArray c = m.create(shift, new Shape(G, K));
        NDArray inRest = sel.reshape(G, 1, K).sub(c.reshape(G, K, 1))
                .add(m.create(upper, new Shape(1, K, K))).exp().sum(new int[] {2});             // [G, K]
        NDArray rest = inRest.add(never.sub(c).exp()).log().add(c);                             // LSE(R_i), [G, K]
        return sel.sub(rest).sum(new int[] {1});                                                // [G]
    }

    /** Added to a logit to take it out of a log-sum-exp (exp underflows to exactly 0; no infinities, no NaN). */
    private static final float MASK = 1e30f;

    /** log pi_ref of each member's draw under the frozen reference policy. */
    private double[] referenceLogProbs(NDManager m, NDArray[] in, int[][] draws) {
        try (var ng = new NoGrad(); NDScope scope = new NDScope()) {
            float[] v = logPi(m, reference.logits(in), draws).toFloatArray();
            double[] out = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                out[i] = v[i];
            }
            return out;
        }
    }

    /** Optimiser steps taken (fewer than {@link #steps()} with gradient accumulation or skipped groups). */
    public long optimiserSteps() {
        return optimizer.step();
    }

    NDArray lossOf(NDManager m, NDArray[] in, int[][] draws, double[] logPiOld, double[] logPiRef, double[] adv,
                           double[] out) {
        int G = draws.length;
        float[] old = new float[G], a = new float[G];
        for (int g = 0; g < G; g++) {
            old[g] = (float) logPiOld[g];
            a[g] = (float) adv[g];
        }
        NDArray lp = logPi(m, policy.logits(in), draws);                          // [G]
        NDArray oldA = m.create(old), advA = m.create(a);
        NDArray ratio = lp.sub(oldA).exp();
        NDArray unclipped = ratio.mul(advA);
        NDArray clipped = ratio.clip(1 - cfg.clipEps(), 1 + cfg.clipEps()).mul(advA);
        NDArray loss = unclipped.minimum(clipped).mean().neg();
        // k3 estimator of KL(pi_old || pi): exp(old - lp) - (old - lp) - 1
        NDArray diff = oldA.sub(lp);
        NDArray kl = diff.exp().sub(diff).sub(1f).mean();
        if (cfg.klCoef() > 0) {
            loss = loss.add(Scalars.mul(kl, cfg.klCoef()));
        }
        if (logPiRef != null) { // k3 estimator of KL(pi || pi_ref) on the group's draws
            float[] ref = new float[G];
            for (int g = 0; g < G; g++) {
                ref[g] = (float) logPiRef[g];
            }
            NDArray d = m.create(ref).sub(lp);
            loss = loss.add(Scalars.mul(d.exp().sub(d).sub(1f).mean(), cfg.refKlCoef()));
        }
        float[] rv = ratio.toFloatArray();
        int clippedCount = 0;
        for (float x : rv) {
            if (Math.abs(x - 1) > cfg.clipEps()) {
                clippedCount++;
            }
        }
        out[1] = kl.getFloat();
        out[2] = clippedCount / (double) G;
        return loss;
    }

    @Override
    public void close() {
        if (reference != null) {
            reference.close();
        }
        optimizer.close();
        manager.close();
    }

    /** Grad mode off for a scope. */
    static final class NoGrad implements AutoCloseable {
        private final boolean was = ai.djl.pytorch.jni.JniUtils.isGradMode();

        NoGrad() {
            ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        }

        @Override
        public void close() {
            ai.djl.pytorch.jni.JniUtils.setGradMode(was);
        }
    }
}
