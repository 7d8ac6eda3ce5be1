package org.inflvg.grpo;

/**
 * GRPO settings.
 *
 * @param groupSize     G: rollouts per group
 * @param rolloutChunks chunks of the new scene generated per rollout
 * @param learningRate  AdamW learning rate (official: 1e-4 amortised, 1e-3 test-time)
 * @param clipGrad      global gradient-norm clip (official: 10)
 * @param epochs        inner epochs reusing a group (more than 1 enables PPO clipping and the KL term)
 * @param clipEps       PPO ratio clip
 * @param klCoef        weight of the KL penalty towards the sampling policy (k3 estimator)
 * @param seed          seed of the selection draws
 * @param accumulate    groups whose gradients are summed (each loss divided by this) before one optimiser step;
 *                      needs epochs = 1
 * @param refKlCoef     weight of the KL penalty towards a frozen reference policy: the policy as it was when the
 *                      trainer was made (k3 estimator on the group's draws); 0 = off
 * @param lrFloor       amortised training ({@link PolicyTraining#amortised}) decays the learning rate along a half
 *                      cosine from {@code learningRate} at the first update to {@code lrFloor * learningRate} at the
 *                      last; 1 = constant (the shipped policy's setting). Test-time GRPO keeps it constant
 */
public record GrpoConfig(int groupSize, int rolloutChunks, double learningRate, double clipGrad, int epochs,
                         double clipEps, double klCoef, long seed, int accumulate, double refKlCoef, double lrFloor) {

    public static final GrpoConfig DEFAULT = new GrpoConfig(8, 2, 1e-3, 10, 1, 0.2, 0.0, 0, 1, 0.0, 1.0);

    /** The settings with a constant learning rate. */
    public GrpoConfig(int groupSize, int rolloutChunks, double learningRate, double clipGrad, int epochs,
                      double clipEps, double klCoef, long seed, int accumulate, double refKlCoef) {
        this(groupSize, rolloutChunks, learningRate, clipGrad, epochs, clipEps, klCoef, seed, accumulate, refKlCoef, 1.0);
    }

    /** The settings without accumulation and reference KL (1 group per step, no reference). */
    public GrpoConfig(int groupSize, int rolloutChunks, double learningRate, double clipGrad, int epochs,
                      double clipEps, double klCoef, long seed) {
        this(groupSize, rolloutChunks, learningRate, clipGrad, epochs, clipEps, klCoef, seed, 1, 0.0);
    }

    public GrpoConfig {
        if (groupSize < 2 || groupSize > 64) {
            throw new IllegalArgumentException("groupSize must be in [2, 64] (advantages need a group), got " + groupSize);
        }
        if (rolloutChunks < 1) {
            throw new IllegalArgumentException("rolloutChunks must be at least 1, got " + rolloutChunks);
        }
        if (!(learningRate > 0 && learningRate < 1)) {
            throw new IllegalArgumentException("learningRate must be in (0, 1), got " + learningRate);
        }
        if (epochs < 1 || epochs > 16) {
            throw new IllegalArgumentException("epochs must be in [1, 16], got " + epochs);
        }
        if (accumulate < 1 || accumulate > 64) {
            throw new IllegalArgumentException("accumulate must be in [1, 64] groups per optimiser step, got " + accumulate);
        }
        if (accumulate > 1 && epochs > 1) {
            throw new IllegalArgumentException("gradient accumulation (accumulate " + accumulate + ") needs epochs = 1: a "
                    + "group reused for several epochs is one optimiser step per epoch");
        }
        if (!(refKlCoef >= 0) || !(klCoef >= 0)) {
            throw new IllegalArgumentException("KL weights must be >= 0, got klCoef " + klCoef + ", refKlCoef " + refKlCoef);
        }
        if (!(clipGrad > 0 && clipGrad <= MAX_CLIP_GRAD)) {
            throw new IllegalArgumentException("clipGrad must be in (0, " + MAX_CLIP_GRAD + "] (the largest gradient "
                    + "norm an update keeps), got " + clipGrad);
        }
        if (!(lrFloor > 0 && lrFloor <= 1)) {
            throw new IllegalArgumentException("lrFloor must be in (0, 1] (1: constant learning rate), got " + lrFloor);
        }
    }

    /**
     * The multiple of {@code learningRate} for update {@code i} (0-based) of {@code total}: {@code lrFloor + (1 -
     * lrFloor) * (1 + cos(pi * i / (total - 1))) / 2}, 1 at the first update and {@code lrFloor} at the last.
     */
    public double learningRateScale(long i, long total) {
        if (lrFloor == 1 || total <= 1) {
            return 1;
        }
        double x = Math.min(1, Math.max(0, i / (double) (total - 1)));
        return lrFloor + (1 - lrFloor) * 0.5 * (1 + Math.cos(Math.PI * x));
    }

    public GrpoConfig withLrFloor(double floor) {
        return new GrpoConfig(groupSize, rolloutChunks, learningRate, clipGrad, epochs, clipEps, klCoef, seed, accumulate,
                refKlCoef, floor);
    }

    public GrpoConfig withGroupSize(int g) {
        return new GrpoConfig(g, rolloutChunks, learningRate, clipGrad, epochs, clipEps, klCoef,
                seed, accumulate, refKlCoef, lrFloor);
    }

    public GrpoConfig withLearningRate(double lr) {
        return new GrpoConfig(groupSize, rolloutChunks, lr, clipGrad, epochs, clipEps, klCoef,
                seed, accumulate, refKlCoef, lrFloor);
    }

    public GrpoConfig withRolloutChunks(int c) {
        return new GrpoConfig(groupSize, c, learningRate, clipGrad, epochs, clipEps, klCoef,
                seed, accumulate, refKlCoef, lrFloor);
    }

    public GrpoConfig withEpochs(int e) {
        return new GrpoConfig(groupSize, rolloutChunks, learningRate, clipGrad, e, clipEps, klCoef,
                seed, accumulate, refKlCoef, lrFloor);
    }

    /** Largest {@link #clipGrad} accepted; a clip this high does not bind in practice. */
    public static final double MAX_CLIP_GRAD = 1e6;

    public GrpoConfig withClipGrad(double clip) {
        return new GrpoConfig(groupSize, rolloutChunks, learningRate, clip, epochs, clipEps, klCoef,
                seed, accumulate, refKlCoef, lrFloor);
    }

    public GrpoConfig withSeed(long s) {
        return new GrpoConfig(groupSize, rolloutChunks, learningRate, clipGrad, epochs, clipEps, klCoef,
                s, accumulate, refKlCoef, lrFloor);
    }

    public GrpoConfig withAccumulation(int groups) {
        return new GrpoConfig(groupSize, rolloutChunks, learningRate, clipGrad, epochs, clipEps, klCoef, seed, groups,
                refKlCoef, lrFloor);
    }

    public GrpoConfig withReferenceKl(double coef) {
        return new GrpoConfig(groupSize, rolloutChunks, learningRate, clipGrad, epochs, clipEps, klCoef, seed, accumulate,
                coef, lrFloor);
    }
}
