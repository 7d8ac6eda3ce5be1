package org.inflvg.select;

/**
 * Chooses which past tokens of the KV cache the chunks of a new scene attend to. Called once per scene switch; the
 * selection is shared by every layer, head, denoising step and chunk of that scene (tokens of the new scene itself
 * are always attended).
 */
public interface ContextSelector {

    /** The selection for a scene switch. */
    Selection select(SelectionRequest request);

    /** The one-word form used on the command line ("full", "window:8", ...). */
    String name();
}
