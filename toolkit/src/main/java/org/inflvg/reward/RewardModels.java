package org.inflvg.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.inflvg.InfLVG;
import org.inflvg.model.NoGrad;
import org.inflvg.model.Weights;
import org.inflvg.video.Video;
import org.inflvg.world.Action;
import org.inflvg.world.Background;
import org.inflvg.world.Prompt;
import org.inflvg.world.Subject;

/**
 * The learned SpriteWorld reward models, trained by {@code ./inflvg train rewards} and shipped in {@code data/rewards}:
 * <ul>
 *   <li>the <b>identity encoder</b> (ArcFace stand-in): a frame to a unit 64-d embedding of the individual, trained with
 *       a contrastive (InfoNCE) loss over identity numbers, two views of each individual on different backgrounds
 *       and actions, all of one subject category per batch (so it learns what tells individuals apart, not
 *       categories);</li>
 *   <li>the <b>alignment model</b> (CLIP stand-in): per frame, probabilities of the subject category (plus "no
 *       subject") and of the background; per clip, probabilities of the action from the consecutive frame pairs
 *       (pair features averaged over the clip, then a linear head). Alignment with a prompt = mean of the
 *       probabilities of its subject, action and background, the per-frame ones averaged over frames, so a clip
 *       that shows the old background in half of its frames gets about half of the background term;</li>
 *   <li>the <b>artifact score</b> ({@link ArtifactScore}).</li>
 * </ul>
 * Every method scores clips of any length; several clips go through the networks in one batched call
 * ({@link #analyse(List)}). Loading checks the weights' SHA-256 against {@code rewards.json}.
 */
public final class RewardModels implements Judge, AutoCloseable {

    public static final String FORMAT = "inflvg-rewards-1", IDENTITY = "identity.bin", ALIGNMENT = "alignment.bin",
        CONFIG = "rewards.json";
    static final int[] WIDTHS = {32, 64, 96, 128};
    /** Embedding size of the identity encoder. */
    public static final int EMBED = 64;
    static final int SUBJECTS = Subject.values().length, NONE = SUBJECTS, BACKGROUNDS = Background.values().length,
        ACTIONS = Action.values().length, PAIR_FEATURES = 64;
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final NDManager manager;
    final Weights identityWeights, alignmentWeights;
    final ConvNet identityNet, frameNet, pairNet;
    ArtifactScore artifact;
    private ObjectNode figures = JSON.createObjectNode();

    private RewardModels(NDManager parent, Random rnd) {
        this.manager = parent.newSubManager();
        this.identityWeights = new Weights(manager);
        this.alignmentWeights = new Weights(manager);
        identityNet = new ConvNet(identityWeights, "identity.", 3, WIDTHS, EMBED, rnd);
        frameNet = new ConvNet(alignmentWeights, "frame.", 3, WIDTHS, SUBJECTS + 1 + BACKGROUNDS, rnd);
        pairNet = new ConvNet(alignmentWeights, "pair.", 6, WIDTHS, PAIR_FEATURES, rnd);
        if (rnd != null) {
            alignmentWeights.normal("action.w", rnd, Math.sqrt(1.0 / PAIR_FEATURES), PAIR_FEATURES, ACTIONS);
            alignmentWeights.constant("action.b", 0f, ACTIONS);
        }
        double[] zeros = new double[ArtifactScore.FEATURES], ones = new double[ArtifactScore.FEATURES];
        java.util.Arrays.fill(ones, 1);
        artifact = new ArtifactScore(zeros, ones, new double[2 * ArtifactScore.FEATURES], 0);
    }

    /** Untrained models (random weights from {@code seed}), for training and tests. */
    public static RewardModels create(NDManager parent, long seed) {
        return new RewardModels(parent, new Random(seed));
    }

    /** The shipped models in {@code data/rewards} under the project home. */
    public static RewardModels load() {
        return load(InfLVG.home().resolve("data/rewards"));
    }

    /** Loads models saved by {@link #save}; errors name the file and the fix. */
    public static RewardModels load(Path dir) {
        return load(dir, NDManager.newBaseManager());
    }

    /** Loads models saved by {@link #save} onto {@code device} (a host's device: the generated clips go there too). */
    public static RewardModels load(Path dir, ai.djl.Device device) {
        return load(dir, NDManager.newBaseManager(device));
    }

    private static RewardModels load(Path dir, NDManager root) {
        Path cfg = dir.resolve(CONFIG);
        for (Path f : List.of(cfg, dir.resolve(IDENTITY), dir.resolve(ALIGNMENT))) {
            if (!Files.isRegularFile(f)) {
                root.close();
                throw new IllegalArgumentException("reward model folder " + dir + " has no " + f.getFileName()
                        + " (train the reward models with: ./inflvg train rewards --out " + dir + ")");
            }
        }
        try {
            JsonNode o = JSON.readTree(cfg.toFile());
            if (!FORMAT.equals(o.path("format").asText())) {
                throw new IllegalArgumentException(cfg + " is not a reward-model file (format '"
                        + o.path("format").asText() + "', expected '" + FORMAT + "')");
            }
            for (String file : List.of(IDENTITY, ALIGNMENT)) {
                String expected = o.path("sha256").path(file).asText(""), actual = Weights.sha256(dir.resolve(file));
                if (!expected.equals(actual)) {
                    throw new IllegalArgumentException(dir.resolve(file) + " does not match the checksum in " + cfg
                            + " (expected " + expected + ", got " + actual
                            + "): the file is truncated or belongs to other models");
                }
            }
            RewardModels m = new RewardModels(root, new Random(0));
            m.identityWeights.load(dir.resolve(IDENTITY));
            m.alignmentWeights.load(dir.resolve(ALIGNMENT));
            JsonNode a = o.path("artifact");
            m.artifact = new ArtifactScore(doubles(a.get("mean")), doubles(a.get("std")), doubles(a.get("weights")),
                    a.path("bias").asDouble());
            if (o.has("figures")) {
                m.figures = (ObjectNode) o.get("figures");
            }
            m.ownsRoot = root;
            return m;
        } catch (IOException e) {
            root.close();
            throw new IllegalArgumentException("cannot read " + cfg + ": " + e.getMessage());
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    private NDManager ownsRoot;

    private static double[] doubles(JsonNode n) {
        if (n == null || !n.isArray()) {
            throw new IllegalArgumentException("artifact parameters missing in " + CONFIG);
        }
        double[] d = new double[n.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = n.get(i).asDouble();
        }
        return d;
    }

    /**
     * Writes the weights and {@code rewards.json} (artifact parameters, checksums, figures, provenance) atomically;
     * returns the SHA-256 of {@code rewards.json}'s checksum pair (one string naming these models).
     */
    public String save(Path dir, Map<String, Object> provenance) {
        try {
            Files.createDirectories(dir);
            ObjectNode o = JSON.createObjectNode();
            o.put("format", FORMAT);
            ObjectNode sha = o.putObject("sha256");
            sha.put(IDENTITY, identityWeights.save(dir.resolve(IDENTITY)));
            sha.put(ALIGNMENT, alignmentWeights.save(dir.resolve(ALIGNMENT)));
            o.put("parameters", identityWeights.count() + alignmentWeights.count());
            ObjectNode a = o.putObject("artifact");
            a.set("features", JSON.valueToTree(ArtifactScore.NAMES));
            a.set("mean", JSON.valueToTree(artifact.mean));
            a.set("std", JSON.valueToTree(artifact.std));
            a.set("weights", JSON.valueToTree(artifact.weights));
            a.put("bias", artifact.bias);
            o.set("figures", figures);
            o.set("provenance", JSON.valueToTree(provenance));
            Path tmp = Files.createTempFile(dir, CONFIG, ".tmp");
            JSON.writeValue(tmp.toFile(), o);
            Files.move(tmp, dir.resolve(CONFIG), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return checksum(dir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write reward models to " + dir, e);
        }
    }

    /** One checksum naming saved models: the first 16 hex digits of each weight file's SHA-256, joined by "+". */
    public static String checksum(Path dir) {
        try {
            JsonNode s = JSON.readTree(dir.resolve(CONFIG).toFile()).path("sha256");
            return s.path(IDENTITY).asText().substring(0, 16) + "+" + s.path(ALIGNMENT).asText().substring(0, 16);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + dir.resolve(CONFIG) + ": " + e.getMessage());
        }
    }

    /** The evaluation figures recorded when the models were trained (AUCs, accuracies), as JSON. */
    public JsonNode figures() {
        return figures;
    }

    void figures(ObjectNode f) {
        this.figures = f;
    }

    NDManager manager() {
        return manager;
    }

    /**
     * What the networks see in one clip.
     *
     * @param embeddings  per frame, the unit identity embedding
     * @param subject     per frame, probabilities of the subject categories, the last entry "no subject"
     * @param background  per frame, probabilities of the backgrounds
     * @param action      probabilities of the actions (uniform for a one-frame clip)
     */
    public record ClipAnalysis(float[][] embeddings, float[][] subject, float[][] background, float[] action) {

        /** Mean over frames of the probability that a subject is visible. */
        public double presence() {
            double s = 0;
            for (float[] p : subject) {
                s += 1 - p[NONE];
            }
            return s / subject.length;
        }

        /** Mean over frames of the probability of background {@code b}. */
        public double background(Background b) {
            double s = 0;
            for (float[] p : background) {
                s += p[b.ordinal()];
            }
            return s / background.length;
        }

        /** Mean over frames of the probability of subject {@code s}. */
        public double subject(Subject s) {
            double t = 0;
            for (float[] p : subject) {
                t += p[s.ordinal()];
            }
            return t / subject.length;
        }

        /** Alignment with a prompt: mean of the subject, action and background probabilities (no action for one frame). */
        public double alignment(Prompt p) {
            double sub = subject(p.subject()), bg = background(p.background());
            if (embeddings.length < 2) {
                return (sub + bg) / 2;
            }
            return (sub + action[p.action().ordinal()] + bg) / 3;
        }
    }

    /** Runs every network once over all frames (and frame pairs) of all clips. */
    public List<ClipAnalysis> analyse(List<Video> clips) {
        if (clips.isEmpty()) {
            return List.of();
        }
        try (NDManager m = manager.newSubManager(); NoGrad ng = new NoGrad()) {
            List<NDArray> frames = new ArrayList<>(), pairs = new ArrayList<>();
            for (Video v : clips) {
                frames.add(ConvNet.frames(m, v, 0, v.frameCount()));
                if (v.frameCount() > 1) {
                    pairs.add(ConvNet.pairs(m, v));
                }
            }
            NDArray all = frames.size() == 1 ? frames.get(0) : NDArrays.concat(new NDList(frames), 0);
            NDArray emb = normalise(identityNet.forward(all));
            NDArray logits = frameNet.forward(all);
            NDArray subj = logits.get(":, 0:" + (SUBJECTS + 1)).softmax(1);
            NDArray bg = logits.get(":, " + (SUBJECTS + 1) + ":").softmax(1);
            // every frame's outputs in one read, every clip's action probabilities in one more (two device syncs a
            // batch, not three plus one per clip)
            int W = EMBED + SUBJECTS + 1 + BACKGROUNDS;
            float[] fr = NDArrays.concat(new NDList(emb, subj, bg), 1).toFloatArray();  // [frames, W]
            float[] act = null;
            if (!pairs.isEmpty()) {
                NDArray pf = pairNet.forward(pairs.size() == 1 ? pairs.get(0) : NDArrays.concat(new NDList(pairs), 0));
                int P = (int) pf.getShape().get(0), C = clips.size();
                float[] avg = new float[C * P];                                 // [C, P]: each clip's mean over its pairs
                int q0 = 0;
                for (int c = 0; c < C; c++) {
                    int n = clips.get(c).frameCount();
                    for (int q = 0; q < n - 1; q++) {
                        avg[c * P + q0 + q] = 1f / (n - 1);
                    }
                    q0 += Math.max(0, n - 1);
                }
                NDArray mean = m.create(avg, new ai.djl.ndarray.types.Shape(C, P)).matMul(pf);   // [C, PAIR_FEATURES]
                act = actionLogits(mean).softmax(1).toFloatArray();                            // [C, ACTIONS]
            }
            List<ClipAnalysis> out = new ArrayList<>();
            int f0 = 0;
            for (int c = 0; c < clips.size(); c++) {
                int n = clips.get(c).frameCount();
                float[][] ee = new float[n][], ss = new float[n][], bb = new float[n][];
                for (int f = 0; f < n; f++) {
                    int at = (f0 + f) * W;
                    ee[f] = java.util.Arrays.copyOfRange(fr, at, at + EMBED);
                    ss[f] = java.util.Arrays.copyOfRange(fr, at + EMBED, at + EMBED + SUBJECTS + 1);
                    bb[f] = java.util.Arrays.copyOfRange(fr, at + EMBED + SUBJECTS + 1, at + W);
                }
                float[] a = new float[ACTIONS];
                if (n > 1) {
                    System.arraycopy(act, c * ACTIONS, a, 0, ACTIONS);
                } else {
                    java.util.Arrays.fill(a, 1f / ACTIONS);
                }
                out.add(new ClipAnalysis(ee, ss, bb, a));
                f0 += n;
            }
            return out;
        }
    }

    /** Action logits from mean pair features (B, F), for training. */
    NDArray actionLogits(NDArray meanFeatures) {
        return meanFeatures.matMul(alignmentWeights.get("action.w")).add(alignmentWeights.get("action.b"));
    }

    static NDArray normalise(NDArray x) {
        return x.div(x.square().sum(new int[] {1}, true).add(1e-8f).sqrt());
    }

    /** Up to {@code k} frame indices spread evenly over {@code n} frames. */
    static int[] spread(int n, int k) {
        int m = Math.min(n, k);
        int[] idx = new int[m];
        for (int i = 0; i < m; i++) {
            idx[i] = m == 1 ? n - 1 : (int) Math.round(i * (n - 1) / (double) (m - 1));
        }
        return idx;
    }

    /** Mean cosine (each clipped at 0) over all cross pairs of the given frames' embeddings. */
    static double crossCosine(float[][] a, int[] ia, float[][] b, int[] ib) {
        double s = 0;
        for (int i : ia) {
            for (int j : ib) {
                double d = 0;
                for (int k = 0; k < EMBED; k++) {
                    d += a[i][k] * b[j][k];
                }
                s += Math.max(0, d);
            }
        }
        return s / (ia.length * ib.length);
    }

    /** Frames {@code idx} of a video. */
    static Video pick(Video v, int[] idx) {
        List<Video> parts = new ArrayList<>();
        for (int i : idx) {
            parts.add(v.frames(i, i + 1));
        }
        return Video.concat(parts);
    }

    @Override
    public double[] backgroundProbabilities(Video clip) {
        ClipAnalysis a = analyse(List.of(clip)).get(0);
        double[] out = new double[BACKGROUNDS];
        for (Background b : Background.values()) {
            out[b.ordinal()] = a.background(b);
        }
        return out;
    }

    @Override
    public double subjectPresence(Video clip) {
        return analyse(List.of(clip)).get(0).presence();
    }

    @Override
    public double alignment(Video clip, Prompt prompt) {
        return analyse(List.of(clip)).get(0).alignment(prompt);
    }

    @Override
    public double identity(Video clip, Video history) {
        List<ClipAnalysis> both = analyse(List.of(clip, pick(history, spread(history.frameCount(), 8)))); // one pass
        ClipAnalysis c = both.get(0), h = both.get(1);
        if (c.presence() < 0.5) {
            return 0;
        }
        return crossCosine(c.embeddings(), spread(clip.frameCount(), 8), h.embeddings(),
                spread(h.embeddings().length, 8));
    }

    @Override
    public double subjectConsistency(Video clip) {
        ClipAnalysis c = analyse(List.of(clip)).get(0);
        if (clip.frameCount() < 2) {
            return 1;
        }
        double s = 0;
        for (int f = 1; f < clip.frameCount(); f++) {
            s += crossCosine(c.embeddings(), new int[] {f - 1}, c.embeddings(), new int[] {f});
        }
        return s / (clip.frameCount() - 1);
    }

    @Override
    public double artifact(Video clip) {
        return artifact.score(clip);
    }

    /** The artifact score's parameters and features. */
    public ArtifactScore artifactScore() {
        return artifact;
    }

    @Override
    public void close() {
        manager.close();
        if (ownsRoot != null) {
            ownsRoot.close();
        }
    }

    @Override
    public String toString() {
        return "RewardModels[" + (identityWeights.count() + alignmentWeights.count()) + " parameters: identity encoder, alignment model, artifact score]";
    }
}
