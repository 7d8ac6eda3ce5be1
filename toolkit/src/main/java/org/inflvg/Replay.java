package org.inflvg;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.inflvg.grpo.Group;
import org.inflvg.grpo.RewardFunction;
import org.inflvg.model.ChunkGenerator;
import org.inflvg.model.KvCache;
import org.inflvg.select.ContextSelector;
import org.inflvg.select.Selection;
import org.inflvg.select.SelectionRequest;
import org.inflvg.video.Video;

/**
 * Counterfactual replay of one scene transition of a finished story: scene {@code t} is generated again with the
 * same noise and the same history under other selectors or hand-edited selections, and the alternatives are scored
 * side by side. Earlier scenes are not regenerated: each alternative runs on a snapshot of the story's KV cache as it
 * stood before scene {@code t} ({@link KvCache#snapshot}), through the same chunk code as the story, so replaying the
 * selection the scene actually used reproduces its frames bit for bit.
 *
 * <pre>{@code
 * ReplayResult r = story.replay(2)
 *         .original()                                                   // the selection scene 2 used
 *         .selectors(Selectors.full(), Selectors.none(), Selectors.window(2))
 *         .selections(story.scenes().get(2).selection().withoutFrame(3))
 *         .run();                                                       // scored with lvg.reward() unless reward(..)
 * r.table(); r.grid();
 * }</pre>
 *
 * <p>Immutable: every method returns a new replay. With no alternative given, {@link #run()} replays the original.
 */
public final class Replay {

    /** One alternative: a selector that chooses afresh on the snapshot, or a fixed selection. */
    private record Alternative(String name, ContextSelector selector, Selection selection) {
    }

    private final Story story;
    private final int transition;
    private final List<Alternative> alternatives;
    private final RewardFunction reward;

    private Replay(Story story, int transition, List<Alternative> alternatives, RewardFunction reward) {
        this.story = story;
        this.transition = transition;
        this.alternatives = List.copyOf(alternatives);
        this.reward = reward;
    }

    /** Replay of transition {@code t} (scene t, 1 .. scenes done - 1) of {@code story}. */
    public static Replay of(Story story, int t) {
        int done = story.scenes().size();
        if (done < 2) {
            throw new IllegalArgumentException("replay needs a story with at least 2 finished scenes (a transition), "
                    + "this one has " + done + "; call story.next() or story.all() first");
        }
        if (t < 1 || t >= done) {
            throw new IllegalArgumentException("transition must be in [1, " + (done - 1) + "] (scene t after scene t-1; "
                    + done + " scenes are finished), got " + t);
        }
        return new Replay(story, t, List.of(), null);
    }

    /** The transition (index of the replayed scene). */
    public int transition() {
        return transition;
    }

    /** Adds the selection the scene actually used, named "original" (replays it bit for bit). */
    public Replay original() {
        Selection used = story.scenes().get(transition).selection();
        return add(new Alternative("original", null, used));
    }

    /** Adds selectors: each chooses on the history as it stood before the scene (same request as the story made). */
    public Replay selectors(ContextSelector... selectors) {
        return selectors(Arrays.asList(selectors));
    }

    /** Adds selectors (see {@link #selectors(ContextSelector...)}). */
    public Replay selectors(List<ContextSelector> selectors) {
        Replay r = this;
        for (ContextSelector s : selectors) {
            r = r.add(new Alternative(s.name(), s, null));
        }
        return r;
    }

    /**
     * Adds fixed selections, e.g. {@code scene.selection().withoutFrame(3).with(17, 18)}; each must be over this
     * transition's history (its candidates = the tokens cached before the scene).
     */
    public Replay selections(Selection... selections) {
        int history = story.cache().firstTokenOfScene(transition);
        Replay r = this;
        for (Selection s : selections) {
            if (s.candidates() != history) {
                throw new IllegalArgumentException("selection '" + s.selector() + "' was made over " + s.candidates()
                        + " history tokens; transition " + transition + " has " + history + " (start from "
                        + "story.scenes().get(" + transition + ").selection() and edit it)");
            }
            r = r.add(new Alternative(s.selector(), null, s));
        }
        return r;
    }

    /** The reward that scores every alternative (default: the facade's hybrid reward, {@code lvg.reward()}). */
    public Replay reward(RewardFunction r) {
        return new Replay(story, transition, alternatives, r);
    }

    private Replay add(Alternative a) {
        List<Alternative> l = new ArrayList<>(alternatives);
        l.add(a);
        return new Replay(story, transition, l, reward);
    }

    /**
     * Generates scene {@code t} once per alternative (same noise, same history) and scores them all in one group.
     * Honours interruption between chunks.
     */
    public ReplayResult run() {
        List<Alternative> alts = alternatives.isEmpty() ? original().alternatives : alternatives;
        RewardFunction rf = reward != null ? reward : story.defaultReward();
        Scene scene = story.scenes().get(transition);
        String prompt = scene.prompt();
        int sceneStart = story.cache().firstTokenOfScene(transition);
        var cfg = story.model().config();
        List<Selection> selections = new ArrayList<>();
        List<Video> clips = new ArrayList<>();
        List<double[]> millis = new ArrayList<>();
        double[] selectMillis = new double[alts.size()];
        long start = System.nanoTime();
        for (int a = 0; a < alts.size(); a++) {
            Alternative alt = alts.get(a);
            try (KvCache snap = story.cache().snapshot(sceneStart, story.manager())) {
                long t0 = System.nanoTime();
                Selection sel = alt.selection() != null ? alt.selection()
                        : alt.selector().select(new SelectionRequest(story.model(), snap, sceneStart, prompt,
                                SelectionRequest.subjectOf(prompt), transition, story.seedValue()));
                selectMillis[a] = (System.nanoTime() - t0) / 1e6;
                List<float[]> chunks = new ArrayList<>();
                double[] ms = new double[cfg.chunksPerScene()];
                for (int c = 0; c < cfg.chunksPerScene(); c++) {
                    if (Thread.currentThread().isInterrupted()) {
                        throw new IllegalStateException("interrupted");
                    }
                    ChunkGenerator.Result r = Story.generateChunk(story.model(), snap, sel, sceneStart, prompt,
                            transition, c, story.noiseSeed(transition, c), null);
                    chunks.add(r.tokens());
                    ms[c] = r.millis();
                }
                selections.add(sel.named(alt.name()));
                clips.add(Story.sceneVideo(cfg, chunks));
                millis.add(ms);
            }
        }
        double generateMs = (System.nanoTime() - start) / 1e6;
        List<Video> earlier = new ArrayList<>();
        for (int s = 0; s < transition; s++) {
            earlier.add(story.scenes().get(s).video());
        }
        long t0 = System.nanoTime();
        Group group = new Group(prompt, story.scenes().get(transition - 1).prompt(), Video.concat(earlier),
                story.identity(), selections, clips);
        List<RewardFunction.Score> scores = rf.score(group);
        double rewardMs = (System.nanoTime() - t0) / 1e6;
        List<ReplayResult.Row> rows = new ArrayList<>();
        for (int a = 0; a < alts.size(); a++) {
            rows.add(new ReplayResult.Row(alts.get(a).name(), selections.get(a), clips.get(a), scores.get(a),
                    millis.get(a), selectMillis[a]));
        }
        return new ReplayResult(transition, prompt, story.scenes().get(transition - 1).prompt(), story.seedValue(),
                scene.video().sha256(), scene.selection() == null ? "" : scene.selection().selector(), rows, generateMs,
                rewardMs, rf.toString());
    }

    @Override
    public String toString() {
        return "Replay[transition " + transition + " of " + story + ", alternatives "
                + alternatives.stream().map(Alternative::name).toList() + "]";
    }
}
