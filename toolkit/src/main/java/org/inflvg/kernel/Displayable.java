package org.inflvg.kernel;

/**
 * An object that renders itself in a notebook. The kernel shows whichever of these is not null, next to
 * {@code toString()} as the plain-text form; a type that implements neither method shows as plain text.
 *
 * <p>Toolkit types (a video, a selection) implement this so that a cell ending in such a value draws it.
 */
public interface Displayable {

    /** An HTML fragment (no {@code <html>} wrapper), or null when this object has no HTML form. */
    default String displayHtml() {
        return null;
    }

    /** A PNG image, or null when this object has no image form. */
    default byte[] displayPng() {
        return null;
    }
}
