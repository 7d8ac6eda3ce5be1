package org.inflvg.grpo;

/**
 * Group-relative advantages (GRPO): A_i = (r_i - mean(r)) / (std(r) + eps) over one group of rollouts. A group whose
 * rewards are all equal carries no signal: its advantages are 0 (not NaN, as in the official code) and it is reported
 * as a zero-spread group so the update can be skipped and counted.
 */
public final class Advantage {

    /** Added to the standard deviation. */
    public static final double EPS = 1e-6;

    private Advantage() {
    }

    /** Advantages of one group; population standard deviation. */
    public static double[] of(double[] rewards) {
        if (rewards.length == 0) {
            throw new IllegalArgumentException("a group needs at least one reward");
        }
        double mean = 0;
        for (double r : rewards) {
            if (!Double.isFinite(r)) {
                throw new IllegalArgumentException("reward " + r + " is not finite: fix the reward, NaN must not reach GRPO");
            }
            mean += r / rewards.length;
        }
        double var = 0;
        for (double r : rewards) {
            var += (r - mean) * (r - mean) / rewards.length;
        }
        double std = Math.sqrt(var);
        double[] a = new double[rewards.length];
        if (std < 1e-9) {
            return a;
        }
        for (int i = 0; i < a.length; i++) {
            a[i] = (rewards[i] - mean) / (std + EPS);
        }
        return a;
    }

    /** Whether the group has no reward spread (advantages all zero). */
    public static boolean zeroSpread(double[] rewards) {
        double min = Double.MAX_VALUE, max = -Double.MAX_VALUE;
        for (double r : rewards) {
            min = Math.min(min, r);
            max = Math.max(max, r);
        }
        return max - min < 1e-9;
    }
}
