package org.inflvg.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.inflvg.InfLVG;
import org.inflvg.select.Selectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reference equivalence: the shipped TinyDiT exported to TorchScript ({@code data/external/tinydit-ts.pt}, run by DJL's
 * libtorch) against the native TinyDiT ({@code data/tinydit}, run op by op from Java). No Python is needed here: the
 * export is committed; when data/tinydit changes, the first check fails and names the command that exports it again.
 */
class TorchScriptVideoModelTest {

    static final Path PT = InfLVG.home().resolve("data/external/tinydit-ts.pt");
    static final Path FOLDER = InfLVG.home().resolve("data/tinydit");
    static NDManager root;
    static TinyDiT nativeModel;
    static TorchScriptVideoModel ts;

    @BeforeAll
    static void load() {
        root = NDManager.newBaseManager(Device.cpu());
        nativeModel = ModelFiles.load(FOLDER, root);
        ts = TorchScriptVideoModel.load(PT, Device.cpu());
    }

    @AfterAll
    static void close() {
        ts.close();
        nativeModel.close();
        root.close();
    }

    @Test
    void theExportIsOfTheShippedModel() {
        assertEquals(ModelFiles.checksum(FOLDER), ts.sourceChecksum(), "data/external/tinydit-ts.pt was exported from "
                + "another data/tinydit; export it again with: " + TorchScriptVideoModel.EXPORT_COMMAND);
        assertEquals(nativeModel.config(), ts.config());
        assertEquals(nativeModel.vocabulary().words(), ts.vocabulary().words());
        assertEquals(Weights.sha256(PT), ts.checksum());
    }

    static float maxAbsDiff(NDArray a, NDArray b) {
        assertEquals(a.getShape(), b.getShape());
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        float m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }

    static NDArray gaussian(NDManager m, Random r, long... shape) {
        float[] v = new float[(int) new Shape(shape).size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return m.create(v, new Shape(shape));
    }

    static VideoModel.Context context(NDArray[] k, NDArray[] v, int tokens) {
        return new VideoModel.Context() {
            public int tokens() {
                return tokens;
            }

            public NDArray keys(int layer) {
                return k[layer];
            }

            public NDArray values(int layer) {
                return v[layer];
            }
        };
    }

    @Test
    void velocityKeysValuesAndQueriesMatchTheNativeModel() {
        ModelConfig c = nativeModel.config();
        int N = c.tokensPerChunk(), P = c.patchDim(), H = c.heads(), hd = c.headDim(), D = c.depth();
        Random r = new Random(11);
        // rows, kept tokens (0: none), rows of the context (1: shared), first frame
        int[][] cases = {{1, 0, 1, 0}, {1, 37, 1, 8}, {2, 200, 1, 30}, {3, 64, 3, 70}, {8, 128, 8, 16}};
        String[] prompts = {"A robot jumps on the beach", "A cat walks left in the forest", "A fish spins in space"};
        float worst = 0;
        int identical = 0, compared = 0;
        for (int[] cs : cases) {
            int S = cs[0], M = cs[1], ctxRows = cs[2], first = cs[3];
            try (NDManager m = root.newSubManager(); var ng = new NoGrad()) {
                int rows = S == 8 ? 1 : S; // S = 8: one prompt broadcast over a GRPO group
                int[] ids = new int[rows * c.textLength()];
                for (int s = 0; s < rows; s++) {
                    System.arraycopy(nativeModel.tokenize(prompts[s % prompts.length]), 0, ids, s * c.textLength(),
                            c.textLength());
                }
                NDArray[] tn = nativeModel.text(m, ids, rows), tt = ts.text(m, ids, rows);
                float[] d = {maxAbsDiff(tn[0], tt[0]), maxAbsDiff(tn[1], tt[1])};
                NDArray x = gaussian(m, r, S, N, P);
                float[] t = new float[S];
                for (int s = 0; s < S; s++) {
                    t[s] = s == 0 ? 0f : r.nextFloat();
                }
                NDArray[] ck = new NDArray[D], cv = new NDArray[D];
                for (int l = 0; l < D; l++) {
                    ck[l] = gaussian(m, r, ctxRows, H, Math.max(M, 1), hd);
                    cv[l] = gaussian(m, r, ctxRows, H, Math.max(M, 1), hd);
                }
                VideoModel.Context ctx = M == 0 ? null : context(ck, cv, M);
                List<NDArray[]> kn = new ArrayList<>(), kt = new ArrayList<>();
                NDArray vn = nativeModel.velocity(m, x, t, first, tn, ctx, kn);
                NDArray vt = ts.velocity(m, x, t, first, tt, ctx, kt);
                List<Float> diffs = new ArrayList<>();
                diffs.add(d[0]);
                diffs.add(d[1]);
                diffs.add(maxAbsDiff(vn, vt));
                assertEquals(D, kt.size());
                for (int l = 0; l < D; l++) {
                    for (int w = 0; w < 3; w++) {
                        diffs.add(maxAbsDiff(kn.get(l)[w], kt.get(l)[w]));
                    }
                }
                NDArray h = tn[0].mean(new int[] {1});
                diffs.add(maxAbsDiff(nativeModel.keyProjection(D / 2, h), ts.keyProjection(D / 2, h)));
                for (float f : diffs) {
                    worst = Math.max(worst, f);
                    identical += f == 0 ? 1 : 0;
                    compared++;
                }
                System.out.println("S=" + S + " M=" + M + " ctxRows=" + ctxRows + " first=" + first + " max abs diffs "
                        + diffs);
            }
        }
        System.out.println("worst max abs difference " + worst + "; " + identical + " of " + compared
                + " outputs bit-identical");
        assertTrue(worst < 1e-4f, "max abs difference " + worst);
    }

    /**
     * A whole story through InfLVG, once per model: every selector family that reads the model (attention reads the
     * cached queries, text the key projection, the policy the text encoder and cached keys) gives the same frames, bit
     * for bit; so do a batched GRPO rollout on the finished story's cache, a replay and the provenance table.
     */
    @Test
    void storiesAndRolloutsHaveTheSameFramesThroughEitherModel() {
        String prompts = "A robot jumps on the beach | A robot walks left in the forest | A robot spins in space";
        String[] selectors = {"full", "attention:128", "text:128", "policy:128"};
        Path host = InfLVG.home().resolve("data/hosts/external-torchscript.json");
        String[][] sha = new String[2][selectors.length];
        float[][][] rollouts = new float[2][][];
        double[] ms = new double[2];
        String[] attended = new String[2];
        for (int which = 0; which < 2; which++) {
            try (InfLVG lvg = which == 0 ? InfLVG.load() : InfLVG.load(host)) {
                assertEquals(which == 0 ? "tinydit" : "torchscript:tinydit-ts.pt", lvg.model().name());
                for (int i = 0; i < selectors.length; i++) {
                    try (var story = lvg.story(prompts).seed(3).selector(Selectors.parse(selectors[i]))) {
                        story.all();
                        sha[which][i] = story.video().sha256();
                        for (var scene : story.scenes()) {
                            for (double c : scene.chunkMillis()) {
                                ms[which] += c;
                            }
                        }
                        if (i == 1) { // replay (snapshot of the cache, kept queries) and provenance on either model
                            var replay = story.replay(2).original().reward(new org.inflvg.reward.HybridReward(
                                    org.inflvg.reward.ColourJudges.colour(32))).run();
                            assertTrue(replay.reproducesStory("original"), lvg.model().name() + ": replay");
                            attended[which] = story.provenance(2).table().printAll();
                        }
                        if (i == 0) {
                            int[][] keep = new int[4][];
                            Random r = new Random(5);
                            for (int g = 0; g < keep.length; g++) {
                                keep[g] = r.ints(0, story.cache().size()).distinct().limit(96).toArray();
                            }
                            rollouts[which] = ChunkGenerator.rollout(lvg.model(), story.cache(), keep,
                                    lvg.model().tokenize("A robot waves in the city"), 3 * 8, 2, 9);
                        }
                    }
                }
            }
        }
        System.out.println("ms of generation (4 stories x 12 chunks): native " + Math.round(ms[0]) + ", torchscript "
                + Math.round(ms[1]));
        for (int i = 0; i < selectors.length; i++) {
            assertEquals(sha[0][i], sha[1][i], selectors[i] + ": frames differ");
        }
        assertEquals(attended[0], attended[1], "provenance (attention shares of the kept tokens)");
        for (int g = 0; g < rollouts[0].length; g++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(rollouts[0][g], rollouts[1][g], "rollout member " + g);
        }
    }

    /**
     * With classifier-free guidance (two rows per story call, 2G per rollout call, the unconditional rows on the same
     * context) the two models still give the same frames, bit for bit.
     */
    @Test
    void guidedStoriesAndRolloutsMatchToo() {
        String prompts = "A robot jumps on the beach | A robot walks left in the forest";
        Path host = InfLVG.home().resolve("data/hosts/external-torchscript.json");
        String[] sha = new String[2];
        float[][][] rollouts = new float[2][][];
        for (int which = 0; which < 2; which++) {
            try (InfLVG lvg = (which == 0 ? InfLVG.load() : InfLVG.load(host)).sampling(new Sampling(3, 2.0));
                 var story = lvg.story(prompts).seed(4).selector(Selectors.parse("text:64"))) {
                story.all();
                sha[which] = story.video().sha256();
                int[][] keep = new int[3][];
                Random r = new Random(6);
                for (int g = 0; g < keep.length; g++) {
                    keep[g] = r.ints(0, story.cache().size()).distinct().limit(80).toArray();
                }
                rollouts[which] = ChunkGenerator.rollout(lvg.model(), story.cache(), keep,
                        lvg.model().tokenize("A robot waves in the city"), 2 * 8, 2, 9);
            }
        }
        assertEquals(sha[0], sha[1], "guided frames differ");
        for (int g = 0; g < rollouts[0].length; g++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(rollouts[0][g], rollouts[1][g], "guided rollout member " + g);
        }
    }

    /**
     * Many chunks through the TorchScript model leave native memory flat: every call's arguments and results are freed
     * (a leaked result alone would be 24 kB a call, over 1 MB a story of 12 chunks; a leaked cache pass 0.8 MB a
     * chunk).
     */
    @Test
    void nativeMemoryStaysFlatOverManyChunks() throws Exception {
        try (InfLVG lvg = InfLVG.load(PT)) {
            long base = 0;
            for (int i = 0; i < 16; i++) {
                try (var story = lvg.story("A cat jumps on the beach | A cat spins in space | A cat waves in the room")
                        .seed(i).selector(Selectors.parse(i % 2 == 0 ? "full" : "random:128"))) {
                    story.all();
                }
                if (i == 3) {
                    base = org.inflvg.StoryTest.rssKb();
                }
            }
            long grown = org.inflvg.StoryTest.rssKb() - base;
            System.out.println("native memory grew by " + grown + " kB over 12 stories of 12 chunks");
            assertTrue(grown < 10_000, "resident memory grew by " + grown + " kB over 12 stories of 12 chunks");
        }
    }

    @Test
    void aMissingOrDamagedFileNamesTheFileAndTheExportCommand(@TempDir Path dir) throws Exception {
        Path pt = dir.resolve("m.pt"), json = dir.resolve("m.json");
        IllegalArgumentException noJson = assertThrows(IllegalArgumentException.class,
                () -> TorchScriptVideoModel.load(pt, Device.cpu()));
        assertTrue(noJson.getMessage().contains("m.json") && noJson.getMessage().contains("tools/export_tinydit.py"),
                noJson.getMessage());
        Files.copy(TorchScriptVideoModel.describedBy(PT), json);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> TorchScriptVideoModel.load(pt, Device.cpu()));
        assertTrue(missing.getMessage().contains(pt + " is missing")
                && missing.getMessage().contains("/usr/bin/python3 tools/export_tinydit.py --model data/tinydit"),
                missing.getMessage());
        byte[] bytes = Files.readAllBytes(PT);
        bytes[bytes.length / 2] ^= 1;
        Files.write(pt, bytes);
        IllegalArgumentException damaged = assertThrows(IllegalArgumentException.class,
                () -> TorchScriptVideoModel.load(pt, Device.cpu()));
        assertTrue(damaged.getMessage().contains(pt + " does not match the SHA-256")
                && damaged.getMessage().contains("export it again with: /usr/bin/python3 tools/export_tinydit.py"),
                damaged.getMessage());
        Files.write(pt, java.util.Arrays.copyOf(bytes, 1000));                   // truncated, checksum updated
        Files.writeString(json, Files.readString(json).replaceAll("\"sha256\": \"[0-9a-f]{64}\",\n  \"bytes\"",
                "\"sha256\": \"" + Weights.sha256(pt) + "\",\n  \"bytes\""));
        IllegalArgumentException unreadable = assertThrows(IllegalArgumentException.class,
                () -> TorchScriptVideoModel.load(pt, Device.cpu()));
        assertTrue(unreadable.getMessage().contains("cannot load TorchScript model " + pt)
                && unreadable.getMessage().contains("tools/export_tinydit.py"), unreadable.getMessage());
        Files.writeString(json, "{\"format\": \"inflvg-tinydit-1\"}");
        IllegalArgumentException format = assertThrows(IllegalArgumentException.class,
                () -> TorchScriptVideoModel.load(pt, Device.cpu()));
        assertTrue(format.getMessage().contains("expected 'inflvg-torchscript-1'"), format.getMessage());
    }
}
