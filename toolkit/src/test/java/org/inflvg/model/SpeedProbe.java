package org.inflvg.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.Random;

/** Manual probe: time of one training step (not a test). */
public class SpeedProbe {
    public static void main(String[] a) {
        int B = Integer.parseInt(a.length > 0 ? a[0] : "8");
        try (NDManager root = NDManager.newBaseManager()) {
            TinyDiT m = TinyDiT.create(ModelConfig.TINY, root, 1);
            System.out.println(m);
            m.weights().requireGradients();
            ModelConfig c = m.config();
            int n = B * c.chunksPerScene() * c.tokensPerChunk() * c.patchDim();
            Random r = new Random(0);
            float[] clean = new float[n], noise = new float[n];
            for (int i = 0; i < n; i++) { clean[i] = (float) r.nextGaussian() * 0.5f; noise[i] = (float) r.nextGaussian(); }
            float[] t = new float[B * 4];
            for (int i = 0; i < t.length; i++) t[i] = r.nextFloat();
            int[] ids = new int[B * c.textLength()];
            for (int i = 0; i < ids.length; i++) ids[i] = 1 + r.nextInt(10);
            boolean[] drop = new boolean[B];
            drop[0] = true;
            TrainBatch tb = new TrainBatch(B, 4, clean, noise, t, new int[B], ids, drop);
            for (int it = 0; it < 6; it++) {
                long t0 = System.nanoTime();
                try (NDManager step = root.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = m.trainingLoss(step, tb);
                    long t1 = System.nanoTime();
                    gc.backward(loss);
                    long t2 = System.nanoTime();
                    System.out.printf("loss %.4f fwd %.0f ms bwd %.0f ms%n", loss.getFloat(), (t1 - t0) / 1e6, (t2 - t1) / 1e6);
                }
                for (NDArray p : m.weights().all().values()) { p.getGradient().close(); }
            }
        }
    }
}
