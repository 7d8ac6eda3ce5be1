package org.inflvg.grpo;

import java.util.List;
import org.inflvg.select.Selection;
import org.inflvg.video.Video;

/**
 * One GRPO group at a scene transition: G rollouts of the first chunks of the new scene, each under its own sampled
 * selection, with the same noise and the same history.
 *
 * @param prompt     the new scene's prompt
 * @param previous   the previous scene's prompt
 * @param history    every frame generated before the transition
 * @param identity   the story's individual (-1 when unknown)
 * @param selections each member's selection
 * @param clips      each member's rolled-out frames
 */
public record Group(String prompt, String previous, Video history, int identity, List<Selection> selections,
                    List<Video> clips) {

    public int size() {
        return clips.size();
    }
}
