package org.inflvg;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.inflvg.grpo.RewardFunction;
import org.inflvg.reward.ColourJudges;
import org.inflvg.reward.HybridReward;
import org.inflvg.reward.RewardModels;
import org.inflvg.select.ContextSelector;
import org.inflvg.select.Selectors;
import org.inflvg.world.Eps;
import org.inflvg.world.EpsGenerator;
import org.inflvg.world.Split;

/**
 * Manual timing probe (not a test): a replay of 4 alternatives of one transition against generating that scene 4
 * times in 4 stories, and against the 4 whole stories one would generate without replay. Arguments: [model dir]
 * [rewards dir] [rounds].
 */
public final class ReplayBench {

    public static void main(String[] a) throws Exception {
        Path model = Path.of(a.length > 0 ? a[0] : "data/tinydit");
        Path rewardsDir = a.length > 1 ? Path.of(a[1]) : Path.of("data/rewards");
        int rounds = a.length > 2 ? Integer.parseInt(a[2]) : 2;
        int t = 2;
        try (InfLVG lvg = InfLVG.load(model)) {
            RewardModels rm = Files.isRegularFile(rewardsDir.resolve("rewards.json")) ? RewardModels.load(rewardsDir) : null;
            RewardFunction reward = rm != null ? new HybridReward(rm)
                    : new HybridReward(ColourJudges.colour(lvg.model().config().frameSize()));
            System.out.println(lvg + "\nreward: " + reward);
            Eps eps = EpsGenerator.generate(Split.TEST, 1, t + 1, 0).get(0);
            List<ContextSelector> sel = Selectors.parseList("full,none,window:4,policy:128");
            for (int round = 0; round <= rounds; round++) { // round 0 warms up
                double sceneMs = 0, storiesMs = 0;
                for (ContextSelector s : sel) {
                    long t0 = System.nanoTime();
                    try (Story st = lvg.story(eps).seed(5).selector(s)) {
                        for (int i = 0; i < t; i++) {
                            st.next();
                        }
                        long t1 = System.nanoTime();
                        st.next();
                        long t2 = System.nanoTime();
                        sceneMs += (t2 - t1) / 1e6;
                        storiesMs += (t2 - t0) / 1e6;
                    }
                }
                double replayWall;
                ReplayResult r;
                try (Story st = lvg.story(eps).seed(5).selector(sel.get(0))) {
                    st.all();
                    long t0 = System.nanoTime();
                    r = st.replay(t).selectors(sel).reward(reward).run();
                    replayWall = (System.nanoTime() - t0) / 1e6;
                }
                if (round == 0) {
                    continue;
                }
                System.out.print(r.table());
                System.out.printf("round %d: scene %d generated 4 times (4 stories, that scene only): %.0f ms; "
                                + "4 whole stories up to it: %.0f ms%n  replay of 4 alternatives: %.0f ms wall "
                                + "(selection + generation %.0f ms, reward %.0f ms); replay/4 scenes = %.2f "
                                + "(generation only %.2f)%n", round, t, sceneMs, storiesMs, replayWall, r.generateMillis(),
                        r.rewardMillis(), replayWall / sceneMs, r.generateMillis() / sceneMs);
            }
            try (Story st = lvg.story(eps).seed(5).selector(sel.get(3))) {
                st.all();
                System.out.println(st.provenance(t));
            }
            if (rm != null) {
                rm.close();
            }
        }
    }
}
