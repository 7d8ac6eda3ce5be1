package org.inflvg.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.inflvg.video.Video;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The optional convolutional stem and head ({@link ModelConfig#convChannels()}). */
class ConvStemTest {

    static final ModelConfig SMALL = TeacherForcingEquivalenceTest.SMALL;

    /** Tokens laid out as frames put every pixel where the video has it (the convolution's neighbours are real ones). */
    @Test
    void tokensBecomeFramesPixelForPixel() {
        int F = SMALL.chunkFrames(), size = SMALL.frameSize(), N = SMALL.tokensPerChunk(), P = SMALL.patchDim();
        float[] rgb = new float[F * size * size * 3];
        Random r = new Random(1);
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = r.nextFloat();
        }
        Video v = Video.of(F, size, size, rgb);
        float[] tok = new float[N * P];
        Patches.toTokens(v, 0, F, SMALL.patch(), tok, 0);
        try (NDManager m = NDManager.newBaseManager()) {
            TinyDiT model = TinyDiT.create(SMALL.withConv(2), m, 1);
            NDArray x = m.create(tok, new Shape(1, N, P));
            NDArray img = model.toImages(x, 3);
            assertEquals(new Shape(F, 3, size, size), img.getShape());
            float[] got = img.toFloatArray();
            for (int f = 0; f < F; f++) {
                for (int c = 0; c < 3; c++) {
                    for (int y = 0; y < size; y++) {
                        for (int xx = 0; xx < size; xx++) {
                            assertEquals(v.get(f, y, xx, c) * 2 - 1, got[((f * 3 + c) * size + y) * size + xx], 1e-6,
                                    "frame " + f + " channel " + c + " at (" + y + ", " + xx + ")");
                        }
                    }
                }
            }
            assertArrayEquals(tok, model.toTokens(img, 1, 3).toFloatArray(), "frames back to tokens");
        }
    }

    /** At initialisation the added paths are zero: the same seed gives the same function with and without them. */
    @Test
    void theAddedPathsStartAtZero() {
        try (NDManager m = NDManager.newBaseManager(); var ng = new NoGrad()) {
            TinyDiT plain = TinyDiT.create(SMALL, m, 7), conv = TinyDiT.create(SMALL.withConv(4), m, 7);
            assertTrue(conv.weights().all().size() > plain.weights().all().size());
            Random r = new Random(2);
            int N = SMALL.tokensPerChunk(), P = SMALL.patchDim();
            float[] x = new float[2 * N * P];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            int[] ids = plain.tokenize("A robot jumps on the beach");
            float[] a = plain.velocity(m, m.create(x, new Shape(2, N, P)), new float[] {0.3f, 0.9f}, 4,
                    plain.text(m, ids, 1), null, null).toFloatArray();
            float[] b = conv.velocity(m, m.create(x, new Shape(2, N, P)), new float[] {0.3f, 0.9f}, 4,
                    conv.text(m, ids, 1), null, null).toFloatArray();
            assertArrayEquals(a, b, 0f);
        }
    }

    /** It trains (the loss falls) and survives a save and load. */
    @Test
    void trainsAndRoundTrips(@TempDir Path dir) {
        ModelConfig micro = TrainingTest.MICRO.withConv(4);
        BaseTrainer.Settings s = BaseTrainer.Settings.DEFAULT.withSteps(60).withBatch(4).withCheckpointEvery(60)
                .withLr(3e-3, 5);
        List<BaseTrainer.StepLog> logs = new ArrayList<>();
        new BaseTrainer(micro, s, dir).run(logs::add);
        double first = logs.get(0).loss(), last = logs.get(logs.size() - 1).loss();
        assertTrue(last < 0.8 * first, "loss should fall by 20%: first " + first + " last " + last);
        try (NDManager m = NDManager.newBaseManager(); var ng = new NoGrad()) {
            TinyDiT loaded = ModelFiles.load(dir, m);
            assertEquals(micro, loaded.config());
            float[] head = loaded.weights().get("head.conv.w").toFloatArray();
            float absSum = 0;
            for (float v : loaded.weights().get("final.feat.w").toFloatArray()) {
                absSum += Math.abs(v);
            }
            assertTrue(absSum > 0, "the head's feature map was trained away from its zero start");
            assertEquals(3 * 4 * 9, head.length);
        }
    }

    @Test
    void configFilesWithoutTheKeyReadAsNoConvolution() throws Exception {
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) ModelFiles.JSON.valueToTree(SMALL.withConv(3));
        assertEquals(3, tree.get("convChannels").asInt());
        tree.remove("convChannels"); // a config.json written before the key existed
        assertEquals(SMALL, ModelFiles.JSON.treeToValue(tree, ModelConfig.class));
    }

    /**
     * The shipped alternative base model ({@code data/tinydit-conv}) loads with its checksum verified and is the
     * convolutional configuration, otherwise the shipped tiny one; its head's added path was trained away from zero.
     */
    @Test
    void theShippedConvModelLoads() {
        try (NDManager root = NDManager.newBaseManager()) {
            TinyDiT m = ModelFiles.load(org.inflvg.InfLVG.home().resolve("data/tinydit-conv"), root);
            assertEquals(ModelConfig.TINY.withConv(16), m.config());
            float[] head = m.weights().get("final.feat.w").toFloatArray(); // zero at initialisation
            double sum = 0;
            for (float v : head) {
                sum += Math.abs(v);
            }
            assertTrue(sum > 0, "the head's per-pixel features are still zero: untrained");
        }
    }
}
