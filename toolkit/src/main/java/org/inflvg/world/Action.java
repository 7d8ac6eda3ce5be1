package org.inflvg.world;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** What the subject does over a scene's frames; the phrase is the prompt's words ("walks left"). */
public enum Action {
    WALKS_LEFT("walks left"), WALKS_RIGHT("walks right"), JUMPS("jumps"), SPINS("spins"),
    GROWS("grows"), SHRINKS("shrinks"), WAVES("waves"), STANDS_STILL("stands still");

    private final String phrase;

    Action(String phrase) {
        this.phrase = phrase;
    }

    /** The words of this action in a prompt, lower case. */
    public String phrase() {
        return phrase;
    }

    /** All action phrases, in declaration order. */
    public static List<String> phrases() {
        return Arrays.stream(values()).map(Action::phrase).toList();
    }

    /** The action whose phrase is {@code phrase} (case-insensitive, spaces normalised), or an error listing them. */
    public static Action fromPhrase(String phrase) {
        String p = phrase.trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
        for (Action a : values()) {
            if (a.phrase.equals(p)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown action '" + phrase + "'; actions are: " + String.join(", ", phrases()));
    }

    /**
     * The pose at scene phase {@code p} in [0, 1]: offset in sprite sizes (dx, dy; y down), scale, rotation in radians.
     */
    Pose pose(double p) {
        return switch (this) {
            case WALKS_LEFT -> new Pose(0.45 - 0.9 * p, -0.06 * Math.abs(Math.sin(4 * Math.PI * p)), 1, 0);
            case WALKS_RIGHT -> new Pose(-0.45 + 0.9 * p, -0.06 * Math.abs(Math.sin(4 * Math.PI * p)), 1, 0);
            case JUMPS -> new Pose(0, -2.4 * p * (1 - p), 1, 0);
            case SPINS -> new Pose(0, 0, 1, 2 * Math.PI * p);
            case GROWS -> new Pose(0, 0, 0.75 + 0.5 * p, 0);
            case SHRINKS -> new Pose(0, 0, 1.25 - 0.5 * p, 0);
            case WAVES -> new Pose(0, 0, 1, 0.4 * Math.sin(4 * Math.PI * p));
            case STANDS_STILL -> new Pose(0, 0, 1, 0);
        };
    }

    /** Offset (in sprite sizes), scale and rotation of the sprite in one frame. */
    record Pose(double dx, double dy, double scale, double angle) {
    }
}
