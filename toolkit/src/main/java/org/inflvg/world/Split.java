package org.inflvg.world;

import java.util.Locale;

/** Train / validation / test partition. Identities never cross splits; test holds unseen (action, background) pairs. */
public enum Split {
    TRAIN, VAL, TEST;

    /** Parses "train", "val" or "test" (case-insensitive). */
    public static Split parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown split '" + s + "'; allowed: train, val, test");
        }
    }

    /**
     * Whether an (action, background) pair is held out of training and validation (16 of the 96 pairs, 2 per action).
     */
    public static boolean heldOutPair(Action a, Background b) {
        return (3 * a.ordinal() + b.ordinal()) % 6 == 0;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
