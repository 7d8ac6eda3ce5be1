package org.inflvg.reward;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.inflvg.grpo.Group;
import org.inflvg.grpo.RewardFunction;
import org.inflvg.video.Video;
import org.inflvg.world.Prompt;

/**
 * The paper's hybrid reward for one scene transition: {@code total = w1 * alignment + w2 * artifact + w3 * identity},
 * each component in [0, 1] (weights default 1, 1, 1):
 * <ul>
 *   <li>{@code alignment}: {@link Judge#alignment} of the new clip with the new scene's prompt;</li>
 *   <li>{@code artifact}: {@link Judge#artifact} of the new clip;</li>
 *   <li>{@code identity}: {@link Judge#identity} of the new clip against up to 8 frames of the history; 0, with the
 *       reason in the score's note, when no subject is visible in the clip or in the history.</li>
 * </ul>
 * With {@link RewardModels} a whole group goes through the networks in one batched call. The total is never NaN: a
 * component that cannot be computed is 0 and the note says why.
 */
public final class HybridReward implements RewardFunction {

    private final Judge judge;
    private final double wAlign, wArtifact, wIdentity;

    public HybridReward(Judge judge, double wAlign, double wArtifact, double wIdentity) {
        for (double w : new double[] {wAlign, wArtifact, wIdentity}) {
            if (!Double.isFinite(w)) {
                throw new IllegalArgumentException("reward weights must be finite numbers, got " + wAlign + ", "
                        + wArtifact + ", " + wIdentity);
            }
        }
        this.judge = judge;
        this.wAlign = wAlign;
        this.wArtifact = wArtifact;
        this.wIdentity = wIdentity;
    }

    /** Weights 1, 1, 1. */
    public HybridReward(Judge judge) {
        this(judge, 1, 1, 1);
    }

    public Judge judge() {
        return judge;
    }

    /** alignment, artifact and identity with their weights; {@code presence} is a diagnostic (not in the total). */
    @Override
    public Map<String, Double> weights() {
        Map<String, Double> w = new LinkedHashMap<>();
        w.put("alignment", wAlign);
        w.put("artifact", wArtifact);
        w.put("identity", wIdentity);
        return w;
    }

    @Override
    public List<Score> score(Group g) {
        return score(g.clips(), Prompt.parse(g.prompt()), g.history());
    }

    /** Scores every clip of a group against one prompt and one history ({@code null} or empty: identity 0). */
    public List<Score> score(List<Video> clips, Prompt prompt, Video history) {
        List<Score> out = new ArrayList<>();
        if (clips.isEmpty()) {
            return out;
        }
        double[] align = new double[clips.size()], ident = new double[clips.size()], presence = new double[clips.size()];
        String historyNote = "";
        if (judge instanceof RewardModels m) {
            List<Video> batch = new ArrayList<>(clips);
            Video hist = history == null ? null : RewardModels.pick(history, RewardModels.spread(history.frameCount(), 8));
            if (hist != null) {
                batch.add(hist);
            }
            List<RewardModels.ClipAnalysis> an = m.analyse(batch);
            RewardModels.ClipAnalysis h = hist == null ? null : an.get(clips.size());
            if (h == null) {
                historyNote = "no history: identity 0";
            } else if (h.presence() < 0.5) {
                historyNote = "no subject visible in the history: identity 0";
            }
            for (int i = 0; i < clips.size(); i++) {
                RewardModels.ClipAnalysis a = an.get(i);
                align[i] = a.alignment(prompt);
                presence[i] = a.presence();
                ident[i] = historyNote.isEmpty() && presence[i] >= 0.5
                        ? RewardModels.crossCosine(a.embeddings(), RewardModels.spread(clips.get(i).frameCount(), 8),
                                h.embeddings(), RewardModels.spread(h.embeddings().length, 8))
                        : 0;
            }
        } else {
            if (history == null) {
                historyNote = "no history: identity 0";
            }
            for (int i = 0; i < clips.size(); i++) {
                align[i] = judge.alignment(clips.get(i), prompt);
                presence[i] = judge.subjectPresence(clips.get(i));
                ident[i] = historyNote.isEmpty() && presence[i] >= 0.5 ? judge.identity(clips.get(i), history) : 0;
            }
        }
        for (int i = 0; i < clips.size(); i++) {
            List<String> notes = new ArrayList<>();
            if (!historyNote.isEmpty()) {
                notes.add(historyNote);
            } else if (presence[i] < 0.5) {
                notes.add(String.format("no subject visible (presence %.2f): identity 0", presence[i]));
            }
            double art = judge.artifact(clips.get(i));
            Map<String, Double> c = new LinkedHashMap<>();
            c.put("alignment", finite(align[i], "alignment", notes));
            c.put("artifact", finite(art, "artifact", notes));
            c.put("identity", finite(ident[i], "identity", notes));
            c.put("presence", finite(presence[i], "presence", notes));
            double total = wAlign * c.get("alignment") + wArtifact * c.get("artifact") + wIdentity * c.get("identity");
            out.add(new Score(c, total, String.join("; ", notes)));
        }
        return out;
    }

    private static double finite(double x, String name, List<String> notes) {
        if (Double.isFinite(x)) {
            return x;
        }
        notes.add(name + " was not a number: 0");
        return 0;
    }

    @Override
    public String toString() {
        return "HybridReward(" + wAlign + " * alignment + " + wArtifact + " * artifact + " + wIdentity + " * identity, "
                + judge + ")";
    }
}
