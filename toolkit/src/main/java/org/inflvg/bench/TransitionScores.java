package org.inflvg.bench;

import java.util.ArrayList;
import java.util.List;
import org.inflvg.InfLVG;
import org.inflvg.Scene;
import org.inflvg.Story;
import org.inflvg.grpo.RewardFunction;
import org.inflvg.reward.HybridReward;
import org.inflvg.select.ContextSelector;
import org.inflvg.video.Video;
import org.inflvg.world.Eps;
import org.inflvg.world.Prompt;

/** Generates one story under one selector and scores every scene transition with a reward (the new scene against all frames before it). */
final class TransitionScores {

    /** The kind of a scene switch, from its two prompts. */
    enum Kind {
        BACKGROUND, ACTION, BOTH, NEITHER;

        static Kind of(Prompt before, Prompt after) {
            boolean b = before.background() != after.background(), a = before.action() != after.action();
            return b && a ? BOTH : b ? BACKGROUND : a ? ACTION : NEITHER;
        }

        String label() {
            return switch (this) {
                case BACKGROUND -> "background changes";
                case ACTION -> "action changes";
                case BOTH -> "both change";
                case NEITHER -> "same action and background";
            };
        }
    }

    /** One transition's score. */
    record Transition(int scene, Kind kind, RewardFunction.Score score, double msPerChunk, int kept) {
    }

    private TransitionScores() {
    }

    static List<Transition> run(InfLVG lvg, HybridReward reward, Eps eps, long seed, ContextSelector selector) {
        List<Transition> out = new ArrayList<>();
        try (Story st = lvg.story(eps).seed(seed).selector(selector)) {
            List<Scene> sc = st.all();
            Video history = sc.get(0).video();
            for (int t = 1; t < sc.size(); t++) {
                Prompt now = Prompt.parse(eps.scenes().get(t)), before = Prompt.parse(eps.scenes().get(t - 1));
                RewardFunction.Score s = reward.score(List.of(sc.get(t).video()), now, history).get(0);
                out.add(new Transition(t, Kind.of(before, now), s, sc.get(t).msPerChunk(),
                        sc.get(t).selection() == null ? 0 : sc.get(t).selection().size()));
                history = history.concat(sc.get(t).video());
            }
        }
        return out;
    }

    static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return x.length == 0 ? Double.NaN : s / x.length;
    }

    /** 1.96 standard errors of the mean (0 for fewer than two values). */
    static double ci95(double[] x) {
        if (x.length < 2) {
            return 0;
        }
        double m = mean(x), s = 0;
        for (double v : x) {
            s += (v - m) * (v - m);
        }
        return 1.96 * Math.sqrt(s / (x.length - 1)) / Math.sqrt(x.length);
    }
}
