package org.inflvg;

import java.util.Arrays;
import org.inflvg.select.Selection;
import org.inflvg.video.Video;

/**
 * One generated scene of a story: its prompt, frames, the selection its chunks used (null for the first scene), and
 * milliseconds per chunk.
 *
 * @param index       scene index in the story, from 0
 * @param prompt      the scene prompt
 * @param video       the scene's frames
 * @param selection   which history tokens the scene attended to (null for scene 0: there is no history)
 * @param chunkMillis wall time of each chunk
 * @param contextTokens tokens attended by each chunk (kept history + the scene's own earlier chunks)
 */
public record Scene(int index, String prompt, Video video, Selection selection, double[] chunkMillis,
                    int[] contextTokens) {

    /** Mean milliseconds per chunk. */
    public double msPerChunk() {
        return Arrays.stream(chunkMillis).average().orElse(0);
    }

    @Override
    public String toString() {
        return String.format("Scene %d \"%s\": %d frames, %s, %.0f ms/chunk", index, prompt, video.frameCount(),
                selection == null ? "no history" : selection.selector() + " kept " + selection.size() + "/"
                        + selection.candidates(), msPerChunk());
    }
}
