package org.inflvg.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * How a chunk is sampled: the number of Euler steps from noise to data and the classifier-free guidance weight
 * ({@code v = v_null + w (v_cond - v_null)}; 1 is the conditional velocity alone, with no extra pass). A model folder
 * records its own in {@code config.json} ({@link ModelConfig#denoiseSteps()}, {@link ModelConfig#guidance()});
 * {@link #on(VideoModel)} overrides them for a loaded model without copying its weights. Generation, GRPO rollouts,
 * replays and benchmarks all read them from {@link VideoModel#config()}, so every path samples the same way.
 *
 * @param steps    Euler steps per chunk, in [1, 1000], or null for the model's own
 * @param guidance guidance weight, in [0, 20], or null for the model's own
 */
public record Sampling(Integer steps, Double guidance) {

    /** The model's own settings (no override). */
    public static final Sampling MODEL = new Sampling(null, null);

    /** Range checks; messages name the setting, the range and what the shipped model uses. */
    public Sampling {
        if (steps != null && (steps < 1 || steps > 1000)) {
            throw new IllegalArgumentException("sampling steps (Euler steps per chunk) must be in [1, 1000], got " + steps
                    + "; the shipped model samples with 4");
        }
        if (guidance != null && (!Double.isFinite(guidance) || guidance < 0 || guidance > 20)) {
            throw new IllegalArgumentException("sampling guidance (classifier-free guidance weight) must be in [0, 20], "
                    + "got " + guidance + "; 1 is no guidance (the shipped model's setting), above 1 pushes towards the "
                    + "prompt, 0 is the unconditional model");
        }
    }

    /** Whether this overrides nothing. */
    public boolean isModelDefault() {
        return steps == null && guidance == null;
    }

    /** {@code cfg} with the settings this overrides. */
    public ModelConfig applyTo(ModelConfig cfg) {
        ModelConfig c = steps == null ? cfg : cfg.withDenoiseSteps(steps);
        return guidance == null ? c : c.withGuidance(guidance);
    }

    /** This with the non-null settings of {@code other} on top. */
    public Sampling with(Sampling other) {
        return other == null ? this : new Sampling(other.steps != null ? other.steps : steps,
                other.guidance != null ? other.guidance : guidance);
    }

    /**
     * {@code model} sampled with these settings: a view that shares its weights and reports the overridden
     * {@link VideoModel#config()}; closing the view closes nothing. {@code model} itself when nothing changes.
     */
    public VideoModel on(VideoModel model) {
        ModelConfig cfg = applyTo(model.config());
        if (cfg.equals(model.config())) {
            return model;
        }
        VideoModel base = model instanceof View v ? v.base : model;
        return new View(base, cfg);
    }

    @Override
    public String toString() {
        return (steps == null ? "model's steps" : steps + " Euler steps") + ", "
                + (guidance == null ? "model's guidance" : "guidance " + guidance);
    }

    /** A model with other sampling settings; everything but {@link #config()} is the base model's. */
    private static final class View implements VideoModel {
        private final VideoModel base;
        private final ModelConfig cfg;

        View(VideoModel base, ModelConfig cfg) {
            this.base = base;
            this.cfg = cfg;
        }

        @Override
        public ModelConfig config() {
            return cfg;
        }

        @Override
        public String name() {
            return base.name();
        }

        @Override
        public String checksum() {
            return base.checksum();
        }

        @Override
        public Device device() {
            return base.device();
        }

        @Override
        public int[] tokenize(String prompt) {
            return base.tokenize(prompt);
        }

        @Override
        public NDArray[] text(NDManager m, int[] ids, int batch) {
            return base.text(m, ids, batch);
        }

        @Override
        public NDArray velocity(NDManager m, NDArray x, float[] t, int firstFrame, NDArray[] text, Context ctx,
                                List<NDArray[]> kvOut) {
            return base.velocity(m, x, t, firstFrame, text, ctx, kvOut);
        }

        @Override
        public NDArray keyProjection(int layer, NDArray h) {
            return base.keyProjection(layer, h);
        }

        /** The base model is owned by whoever loaded it. */
        @Override
        public void close() {
        }

        @Override
        public String toString() {
            return base + " sampled with " + cfg.denoiseSteps() + " Euler steps, guidance " + cfg.guidance();
        }
    }
}
