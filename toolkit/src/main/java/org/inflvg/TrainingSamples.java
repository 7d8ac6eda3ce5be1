package org.inflvg;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.inflvg.model.VideoModel;
import org.inflvg.select.Selectors;
import org.inflvg.video.Video;
import org.inflvg.world.Eps;
import org.inflvg.world.EpsGenerator;
import org.inflvg.world.Split;

/**
 * Samples that show a base-model training run's progress by eye: a PNG per sampled step, written beside the
 * checkpoint while {@code inflvg train base} runs ({@code --samples-every}), so hours of training can be judged from
 * pictures and not only from the loss.
 *
 * <p>The sheet has one row per story and one column per frame. Rows 1–3: three validation-split two-scene prompt sets,
 * each starting from a rendered first chunk, the rest generated with full context — the first scene shows
 * <em>continuation</em> (the individual must carry on: the first milestone), the second a scene switch (where full
 * context leaks the old background). Row 4: the first set again with no context, so its second scene is formed from
 * noise. The prompts, individuals and noise are the same at every step, so two sheets differ only by the weights.
 */
public final class TrainingSamples {

    /** Rows of the sheet: three sets with full context, then the first with none. */
    public static final int ROWS = 4;

    private TrainingSamples() {
    }

    /** The sheet of {@code model} as a stacked video (one row per story), generated with fixed prompts and noise. */
    public static Video sheet(VideoModel model) {
        List<Eps> sets = EpsGenerator.generate(Split.VAL, ROWS - 1, 2, 0);
        List<Video> rows = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager(model.device())) {
            for (int r = 0; r < ROWS; r++) {
                Eps e = sets.get(r % sets.size());
                try (Story s = new Story(model, e, m, () -> null)) {
                    s.seed(r).selector(r < ROWS - 1 ? Selectors.full() : Selectors.none()).all();
                    rows.add(s.video());
                }
            }
        }
        return Video.stack(rows);
    }

    /**
     * Writes the sheet of {@code model} at training step {@code step} to {@code dir/samples/step-NNNNNN.png} (frames 3×
     * upscaled; written to a temporary file and renamed) and returns its path.
     */
    public static Path write(VideoModel model, Path dir, long step) {
        Path png = dir.resolve("samples").resolve(String.format("step-%06d.png", step));
        sheet(model).upscale(3).save(png);
        return png;
    }
}
