package org.inflvg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.inflvg.model.ModelConfig;
import org.inflvg.model.ModelFiles;
import org.inflvg.model.TinyDiT;

/** Small random models saved to a folder, for tests that need a loadable model but not a trained one. */
public final class TestModels {

    /** 16x16 frames, scenes of 2 chunks of 2 frames, width 32, 2 blocks: room for 10 scenes. */
    public static final ModelConfig SMALL = new ModelConfig(16, 4, 2, 2, 32, 2, 2, 1, 8, 40, 2, 1.0);

    private TestModels() {
    }

    /** Saves a {@link #SMALL} model whose weights are perturbed from their (partly zero) initialisation. */
    public static void saveRandom(Path dir) {
        try (NDManager m = NDManager.newBaseManager()) {
            TinyDiT model = TinyDiT.create(SMALL, m, 1);
            Random r = new Random(2);
            for (NDArray p : model.weights().all().values()) {
                float[] v = p.toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] += (float) (r.nextGaussian() * 0.05);
                }
                p.set(v);
            }
            ModelFiles.save(model, model.weights(), dir, Map.of());
        }
    }
}
