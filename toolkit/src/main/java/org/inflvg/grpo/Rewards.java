package org.inflvg.grpo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.inflvg.reward.ColourJudge;
import org.inflvg.video.Video;
import org.inflvg.world.Background;
import org.inflvg.world.Identity;
import org.inflvg.world.Prompt;

/** Reward functions for GRPO. */
public final class Rewards {

    private Rewards() {
    }

    /**
     * A reward from the documented colour judge (no learned model), for SpriteWorld prompts:
     * <ul>
     *   <li>{@code alignment} = (1 + sim(new background) - sim(previous background)) / 2, where sim is the colour
     *       histogram similarity of the clip to a background's references (1 - L1/2);</li>
     *   <li>{@code identity} = share of the clip's subject pixels (far from the new background's palette) that have the
     *       individual's colours; 0 with reason "no subject visible" when there are none;</li>
     *   <li>{@code artifact} = 1 - 4 x mean absolute difference of consecutive frames (flicker), clipped to [0, 1].</li>
     * </ul>
     * total = wAlign * alignment + wArtifact * artifact + wIdentity * identity.
     */
    public static RewardFunction colourJudge(double wAlign, double wArtifact, double wIdentity) {
        return new RewardFunction() {
            private ColourJudge judge;

            @Override
            public List<Score> score(Group g) {
                if (judge == null) {
                    judge = new ColourJudge(g.clips().get(0).width());
                }
                Prompt now = Prompt.parse(g.prompt()), before = Prompt.parse(g.previous());
                List<Score> out = new ArrayList<>();
                for (Video v : g.clips()) {
                    Map<String, Double> c = new LinkedHashMap<>();
                    double align = (1 + judge.backgroundSimilarity(v, now.background())
                            - (before.background() == now.background() ? 0 : judge.backgroundSimilarity(v, before.background()))) / 2;
                    Background seen = judge.background(v);
                    double id = g.identity() < 0 ? 0 : judge.identityShare(v, seen, new Identity(g.identity()));
                    double art = Math.max(0, Math.min(1, 1 - 4 * flicker(v)));
                    c.put("alignment", align);
                    c.put("artifact", art);
                    c.put("identity", id);
                    out.add(new Score(c, wAlign * align + wArtifact * art + wIdentity * id));
                }
                return out;
            }

            @Override
            public String toString() {
                return "colourJudge(" + wAlign + ", " + wArtifact + ", " + wIdentity + ")";
            }
        };
    }

    static double flicker(Video v) {
        if (v.frameCount() < 2) {
            return 0;
        }
        double s = 0;
        int n = 0;
        for (int f = 1; f < v.frameCount(); f++) {
            for (int y = 0; y < v.height(); y++) {
                for (int x = 0; x < v.width(); x++) {
                    for (int c = 0; c < 3; c++) {
                        s += Math.abs(v.get(f, y, x, c) - v.get(f - 1, y, x, c));
                        n++;
                    }
                }
            }
        }
        return s / n;
    }
}
