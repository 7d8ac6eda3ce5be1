package org.inflvg.world;

import org.inflvg.video.Video;

/**
 * A rendered scene with its ground truth: the video, what it shows, and the subject's mask per frame.
 *
 * @param video    the frames
 * @param prompt   the scene prompt it was rendered from
 * @param identity the individual shown
 * @param seed     the seed of the per-clip randomness (placement, texture phase)
 * @param mask     the subject's pixels, [frame][y * size + x]
 */
public record Clip(Video video, Prompt prompt, Identity identity, long seed, boolean[][] mask) {

    /** Fraction of the pixels of frame {@code f} covered by the subject. */
    public double coverage(int f) {
        int n = 0;
        for (boolean b : mask[f]) {
            if (b) n++;
        }
        return n / (double) mask[f].length;
    }

    @Override
    public String toString() {
        return "Clip[" + prompt + ", " + identity + ", seed " + seed + ", " + video.frameCount() + " frames "
                + video.width() + "x" + video.height() + "]";
    }
}
