package org.inflvg;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.inflvg.grpo.RewardFunction;
import org.inflvg.model.ChunkGenerator;
import org.inflvg.model.KvCache;
import org.inflvg.model.ModelConfig;
import org.inflvg.model.Patches;
import org.inflvg.model.VideoModel;
import org.inflvg.select.ContextSelector;
import org.inflvg.select.Selection;
import org.inflvg.select.SelectionRequest;
import org.inflvg.select.Selectors;
import org.inflvg.video.Video;
import org.inflvg.world.Clip;
import org.inflvg.world.Eps;
import org.inflvg.world.Identity;
import org.inflvg.world.Prompt;
import org.inflvg.world.SpriteWorld;
import org.inflvg.world.WorldConfig;

/**
 * A multi-scene story generated scene by scene (or chunk by chunk) from an event prompt set. At each scene switch the
 * selector chooses which history tokens of the KV cache the new scene attends to; the new scene's own chunks are
 * always attended. Noise is fixed by (seed, scene, chunk), so two stories that differ only in their selector differ
 * only because of it. Configure with {@link #seed}, {@link #selector}, {@link #startRendered} before the first step.
 */
public final class Story implements AutoCloseable {

    private final VideoModel model;
    private final Eps eps;
    private final NDManager manager;
    private final KvCache cache;
    private final List<Scene> scenes = new ArrayList<>();
    private long seed = 0;
    private ContextSelector selector = Selectors.full();
    private boolean startRendered = true;
    private final java.util.function.Supplier<RewardFunction> defaultReward;
    // progress inside the current scene
    private int chunkInScene = 0;
    private Selection currentSelection;
    private int sceneStart;
    private final List<float[]> sceneChunks = new ArrayList<>();
    private final List<Double> sceneMillis = new ArrayList<>();
    private final List<Integer> sceneContext = new ArrayList<>();

    Story(VideoModel model, Eps eps, NDManager parent, java.util.function.Supplier<RewardFunction> defaultReward) {
        this.model = model;
        this.defaultReward = defaultReward;
        this.eps = eps;
        this.manager = parent.newSubManager();
        this.cache = new KvCache(model.config(), manager);
        int maxScenes = model.config().maxFrames() / model.config().sceneFrames();
        if (eps.size() > maxScenes) {
            throw new IllegalArgumentException("the prompt set has " + eps.size() + " scenes; this model generates at most "
                    + maxScenes + " (" + model.config().maxFrames() + " frames)");
        }
        for (String p : eps.scenes()) {
            model.tokenize(p); // unknown words fail now, not in scene 5
        }
    }

    /** Sets the seed of the noise (and of random selectors). Returns this story, before its first step only. */
    public Story seed(long s) {
        requireFresh("seed");
        this.seed = s;
        return this;
    }

    /** Sets the context selector used at every later scene switch. */
    public Story selector(ContextSelector s) {
        this.selector = s;
        return this;
    }

    /**
     * Whether the first chunk is a SpriteWorld render of the set's individual (image-to-video, default) instead of
     * being generated from noise.
     */
    public Story startRendered(boolean on) {
        requireFresh("startRendered");
        this.startRendered = on;
        return this;
    }

    /**
     * Records the attention every chunk actually pays its kept history tokens — at every denoising step and the clean
     * pass, averaged over layers, heads and queries ({@link org.inflvg.model.AttentionProbe}) — for the scenes generated
     * from now on; read it with {@link #attentionPaid(int)} or in {@link Provenance}'s {@code attention_steps} column.
     * Off by default: generation then does none of this work. Recording does not change a pixel.
     */
    public Story recordAttention(boolean on) {
        cache.probe(on ? new org.inflvg.model.AttentionProbe() : null);
        return this;
    }

    /**
     * The attention scene {@code t} paid each history token while it was generated (its chunks' denoising steps and
     * clean passes, layers, heads and queries averaged; each value a token's mean share of one query's attention):
     * [history tokens of scene t], NaN for tokens the selection did not keep. Null when the scene was not recorded
     * ({@link #recordAttention}) or its model cannot report attention (the TorchScript one).
     */
    public double[] attentionPaid(int t) {
        return attentionPaid.get(t);
    }

    private final java.util.Map<Integer, double[]> attentionPaid = new java.util.HashMap<>();

    private void requireFresh(String what) {
        if (!scenes.isEmpty() || chunkInScene > 0) {
            throw new IllegalStateException(what + " must be set before the story's first step");
        }
    }

    public Eps eps() {
        return eps;
    }

    public ContextSelector selector() {
        return selector;
    }

    public KvCache cache() {
        return cache;
    }

    public long seedValue() {
        return seed;
    }

    /** Scenes finished so far. */
    public List<Scene> scenes() {
        return List.copyOf(scenes);
    }

    public boolean hasNext() {
        return scenes.size() < eps.size();
    }

    /** Generates the rest of the current scene (or the whole next scene) and returns it. */
    public Scene next() {
        Scene s;
        do {
            s = nextChunk();
        } while (s == null);
        return s;
    }

    /** Generates every remaining scene. */
    public List<Scene> all() {
        while (hasNext()) {
            next();
        }
        return scenes();
    }

    /**
     * Generates one chunk. Returns the finished scene when this chunk completed one, otherwise null. Honours
     * interruption between chunks.
     */
    public Scene nextChunk() {
        if (!hasNext()) {
            throw new IllegalStateException("the story is finished: all " + eps.size() + " scenes are generated");
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new IllegalStateException("interrupted");
        }
        ModelConfig cfg = model.config();
        int s = scenes.size();
        String prompt = eps.scenes().get(s);
        if (chunkInScene == 0) {
            sceneStart = cache.size();
            if (cache.probe() != null) {
                cache.probe().reset();
            }
            currentSelection = s == 0 ? null : selector.select(new SelectionRequest(model, cache, sceneStart, prompt,
                    SelectionRequest.subjectOf(prompt), s, seed));
        }
        float[] fixed = (s == 0 && chunkInScene == 0 && startRendered) ? renderedFirstChunk(prompt) : null;
        int context = (currentSelection == null ? 0 : currentSelection.size()) + cache.size() - sceneStart;
        ChunkGenerator.Result r = generateChunk(model, cache, currentSelection, sceneStart, prompt, s, chunkInScene,
                noiseSeed(s, chunkInScene), fixed);
        sceneChunks.add(r.tokens());
        sceneMillis.add(r.millis());
        sceneContext.add(context);
        chunkInScene++;
        if (chunkInScene < cfg.chunksPerScene()) {
            return null;
        }
        if (cache.probe() != null && currentSelection != null && cache.probe().calls() > 0) {
            double[] paid = new double[sceneStart];
            java.util.Arrays.fill(paid, Double.NaN);
            for (int tok : currentSelection.keptTokens()) {
                paid[tok] = cache.probe().meanShare(tok);
            }
            attentionPaid.put(s, paid);
        }
        Scene scene = new Scene(s, prompt, sceneVideo(cfg, sceneChunks),
                currentSelection, sceneMillis.stream().mapToDouble(Double::doubleValue).toArray(),
                sceneContext.stream().mapToInt(Integer::intValue).toArray());
        scenes.add(scene);
        sceneChunks.clear();
        sceneMillis.clear();
        sceneContext.clear();
        chunkInScene = 0;
        return scene;
    }

    /**
     * Chunk {@code chunk} of scene {@code scene}: attends to the selection's history tokens (none when null) and to the
     * scene's own chunks already in the cache (from {@code sceneStart}), then appends itself to the cache. The one code
     * path of a story and of its counterfactual replay, so that equal (noise seed, selection, cache) give equal frames.
     */
    static ChunkGenerator.Result generateChunk(VideoModel model, KvCache cache, Selection selection, int sceneStart,
                                               String prompt, int scene, int chunk, long noiseSeed, float[] fixed) {
        ModelConfig cfg = model.config();
        int[] history = selection == null ? new int[0] : selection.keptTokens();
        int[] keep = IntStream.concat(IntStream.of(history), IntStream.range(sceneStart, cache.size())).toArray();
        int firstFrame = scene * cfg.sceneFrames() + chunk * cfg.chunkFrames();
        return ChunkGenerator.generate(model, cache, keep, model.tokenize(prompt), firstFrame, scene, noiseSeed, fixed);
    }

    /** A scene's frames from its chunks' tokens (each [N * P], values in [-1, 1]). */
    static Video sceneVideo(ModelConfig cfg, List<float[]> chunks) {
        int per = cfg.tokensPerChunk() * cfg.patchDim();
        float[] all = new float[per * chunks.size()];
        for (int i = 0; i < chunks.size(); i++) {
            System.arraycopy(chunks.get(i), 0, all, i * per, per);
        }
        return Patches.toVideo(all, chunks.size() * cfg.chunkFrames(), cfg.frameSize(), cfg.patch());
    }

    long noiseSeed(int scene, int chunk) {
        return seed * 1_000_003L + scene * 1009L + chunk;
    }

    /** The noise seed of chunk 0 of scene {@code scene} (chunk c uses this + c): rollouts share the story's noise. */
    public long noiseSeedOf(int scene) {
        return noiseSeed(scene, 0);
    }

    /**
     * Counterfactual replay of scene transition {@code transition} (1 .. scenes done - 1): scene {@code transition}
     * generated again with the same noise and the same stored history under other selectors or hand-edited selections.
     * Add the alternatives to the returned {@link Replay}, then {@link Replay#run()}.
     */
    public Replay replay(int transition) {
        return Replay.of(this, transition);
    }

    /**
     * Where the history tokens of scene {@code t}'s selection came from, whether they lie on the subject, their scores
     * and ranks ({@link Provenance}); {@code provenance(t).table()} is a Tablesaw table.
     */
    public Provenance provenance(int t) {
        return Provenance.of(this, t);
    }

    /** Whether the first chunk was a SpriteWorld render (its frames then have a ground-truth subject mask). */
    public boolean isStartRendered() {
        return startRendered;
    }

    /** The SpriteWorld render the first chunk was taken from (ground truth of its frames). */
    Clip renderedStart() {
        ModelConfig cfg = model.config();
        WorldConfig wc = new WorldConfig(cfg.frameSize(), cfg.sceneFrames(), Math.max(4, cfg.frameSize() * 14 / 32));
        return new SpriteWorld(wc).render(Prompt.parse(eps.scenes().get(0)), new Identity(identity()), seed);
    }

    VideoModel model() {
        return model;
    }

    NDManager manager() {
        return manager;
    }

    /** The reward a replay scores with when none is given (the facade's hybrid reward). */
    RewardFunction defaultReward() {
        return defaultReward.get();
    }

    /** The individual of this story: the set's identity, or one drawn from the seed. */
    public int identity() {
        return eps.identity() >= 0 ? eps.identity() : (int) Math.floorMod(seed * 7919 + 17, Identity.COUNT);
    }

    private float[] renderedFirstChunk(String prompt) {
        ModelConfig cfg = model.config();
        if (!Prompt.isValid(prompt)) {
            throw new IllegalArgumentException("startRendered needs a SpriteWorld prompt for scene 0, got '" + prompt
                    + "'; use startRendered(false) for free text");
        }
        Clip clip = renderedStart();
        float[] tokens = new float[cfg.tokensPerChunk() * cfg.patchDim()];
        Patches.toTokens(clip.video(), 0, cfg.chunkFrames(), cfg.patch(), tokens, 0);
        return tokens;
    }

    /** The whole video so far (finished scenes). */
    public Video video() {
        if (scenes.isEmpty()) {
            throw new IllegalStateException("no scene generated yet: call next() first");
        }
        Video v = scenes.get(0).video();
        for (int i = 1; i < scenes.size(); i++) {
            v = concat(v, scenes.get(i).video());
        }
        return v;
    }

    private static Video concat(Video a, Video b) {
        float[] x = a.rgb(), y = b.rgb(), z = new float[x.length + y.length];
        System.arraycopy(x, 0, z, 0, x.length);
        System.arraycopy(y, 0, z, x.length, y.length);
        return Video.of(a.frameCount() + b.frameCount(), a.height(), a.width(), z);
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return "Story[" + scenes.size() + "/" + eps.size() + " scenes, selector " + selector.name() + ", seed " + seed
                + ", " + cache + "]";
    }
}
