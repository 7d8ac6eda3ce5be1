package org.inflvg.reward;

import org.inflvg.video.Video;
import org.inflvg.world.Prompt;

/**
 * What the rewards and CsVBench ask of a video judge: the learned SpriteWorld models ({@link RewardModels}) implement
 * it on a laptop, and a GPU host can put the paper's models (ArcFace, CLIP, a VLM) behind the same methods. Every
 * method takes clips of any length (at least one frame; actions need two) and never returns NaN.
 */
public interface Judge {

    /** Per background, in {@code Background.values()} order: the clip's mean per-frame probability. */
    double[] backgroundProbabilities(Video clip);

    /** Probability that a subject is visible, averaged over frames, in [0, 1]. */
    double subjectPresence(Video clip);

    /** Prompt alignment in [0, 1]: mean probability of the prompt's subject, action and background. */
    double alignment(Video clip, Prompt prompt);

    /**
     * Identity consistency in [0, 1]: mean cosine (clipped at 0) between identity embeddings of up to 8 frames of
     * {@code clip} and up to 8 frames of {@code history}, all cross pairs. 0 when no subject is visible in the clip.
     */
    double identity(Video clip, Video history);

    /** Subject consistency within a clip in [0, 1]: mean cosine (clipped at 0) of consecutive frames' embeddings. */
    double subjectConsistency(Video clip);

    /** Cleanliness in [0, 1] (higher = cleaner): no blur, noise, mosaic or frozen frames. */
    double artifact(Video clip);
}
