package org.inflvg.grpo;

import java.util.List;
import java.util.Map;

/**
 * The record of one GRPO update: each member's selection summary, reward components, advantage and log-probability,
 * and the update's loss, KL, clip fraction, gradient norm and timings. {@code entropy} is the entropy of the policy's
 * softmax over the {@code candidates} tokens it chose from (-1: not known), at most ln(candidates), a uniform draw.
 */
public record GrpoStep(long step, int scene, String prompt, List<Member> members, boolean zeroSpread, double loss,
                       double kl, double clipFraction, double gradNorm, double entropy, double rolloutMs,
                       double rewardMs, double updateMs, double samplerRatio, int candidates) {

    /** A step whose candidate count is not known. */
    public GrpoStep(long step, int scene, String prompt, List<Member> members, boolean zeroSpread, double loss,
                    double kl, double clipFraction, double gradNorm, double entropy, double rolloutMs, double rewardMs,
                    double updateMs, double samplerRatio) {
        this(step, scene, prompt, members, zeroSpread, loss, kl, clipFraction, gradNorm, entropy, rolloutMs, rewardMs,
                updateMs, samplerRatio, -1);
    }

    /**
     * How far the sampling distribution is from a uniform draw: ln(candidates) - entropy, in nats (0: uniform, the
     * untrained policy; NaN when the candidate count is not known). A policy whose samples stay near 0 trains on
     * nearly random selections while it is evaluated on its top-K.
     */
    public double entropyBelowUniform() {
        return belowUniform(candidates, entropy);
    }

    /** ln(candidates) - entropy, at least 0 (float error can put the entropy a hair above ln M); NaN for candidates <= 0. */
    static double belowUniform(int candidates, double entropy) {
        return candidates > 0 ? Math.max(0, Math.log(candidates) - entropy) : Double.NaN;
    }

    /**
     * A step without the sampler check ({@code samplerRatio} 1). {@code samplerRatio} is the mean over the group of
     * exp(log pi computed for the loss - log pi of the sampler's own Plackett-Luce computation) at the first epoch: it
     * must be 1; anything else means the sampler and the log-probability disagree.
     */
    public GrpoStep(long step, int scene, String prompt, List<Member> members, boolean zeroSpread, double loss,
                    double kl, double clipFraction, double gradNorm, double entropy, double rolloutMs, double rewardMs,
                    double updateMs) {
        this(step, scene, prompt, members, zeroSpread, loss, kl, clipFraction, gradNorm, entropy, rolloutMs, rewardMs,
                updateMs, 1.0);
    }

    /**
     * One rollout of the group.
     *
     * @param index        member index in the group
     * @param kept         history tokens kept (anchors + the K chosen)
     * @param keptPerFrame kept tokens per history frame
     * @param rewards      reward components
     * @param reward       reward total
     * @param advantage    group-normalised advantage
     * @param logProb      log pi of the ordered draw under the sampling policy
     * @param chosen       the K history tokens the policy drew (anchors excluded), ascending: how different the group's
     *                     rollouts were
     */
    public record Member(int index, int kept, int[] keptPerFrame, Map<String, Double> rewards, double reward,
                         double advantage, double logProb, int[] chosen) {
    }

    /** Mean reward of the group. */
    public double meanReward() {
        return members.stream().mapToDouble(Member::reward).average().orElse(0);
    }

    /** A plain-text table: one row per member. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        var keys = members.get(0).rewards().keySet();
        sb.append(String.format("%-6s", "member"));
        for (String k : keys) {
            sb.append(String.format(" %12s", k));
        }
        sb.append(String.format(" %8s %9s %9s  kept per frame%n", "reward", "advantage", "log pi"));
        for (Member m : members) {
            sb.append(String.format("%-6d", m.index()));
            for (String k : keys) {
                sb.append(String.format(" %12.3f", m.rewards().get(k)));
            }
            sb.append(String.format(" %8.3f %9.3f %9.2f  %s%n", m.reward(), m.advantage(), m.logProb(),
                    java.util.Arrays.toString(m.keptPerFrame())));
        }
        sb.append(String.format("loss %.4f  kl %.4f  clip %.2f  grad %.3f  entropy %.2f%s  %s  rollout %.0f ms  reward %.0f ms"
                        + "  update %.0f ms%n", loss, kl, clipFraction, gradNorm, entropy,
                candidates > 0 ? String.format(" (uniform over %d: %.2f)", candidates, Math.log(candidates)) : "",
                zeroSpread ? "ZERO SPREAD (no update)" : "", rolloutMs, rewardMs, updateMs));
        return sb.toString();
    }

    @Override
    public String toString() {
        return String.format("GrpoStep %d scene %d: mean reward %.3f, loss %.4f%s", step, scene, meanReward(), loss,
                zeroSpread ? " (zero spread, skipped)" : "");
    }
}
