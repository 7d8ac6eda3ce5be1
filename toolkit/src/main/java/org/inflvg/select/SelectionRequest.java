package org.inflvg.select;

import org.inflvg.model.KvCache;
import org.inflvg.model.VideoModel;
import org.inflvg.world.Prompt;

/**
 * What a selector sees at a scene switch: the model (whose text encoder and projections a selector may use), the cache (its first {@code history} tokens are the candidates: every token
 * of earlier scenes), the new scene's prompt text and its subject part, the scene index and a seed for random choices.
 */
public record SelectionRequest(VideoModel model, KvCache cache, int history, String prompt, String subjectText,
                               int scene, long seed) {

    /** The subject part of a SpriteWorld prompt ("A robot"), or the first two words of free text. */
    public static String subjectOf(String prompt) {
        if (Prompt.isValid(prompt)) {
            return Prompt.parse(prompt).subjectText();
        }
        String[] w = prompt.trim().split("\\s+");
        return w.length >= 2 ? w[0] + " " + w[1] : prompt.trim();
    }

    public int tokensPerFrame() {
        return cache.config().tokensPerFrame();
    }

    /** History frames (candidates / tokens per frame). */
    public int historyFrames() {
        return history / tokensPerFrame();
    }
}
