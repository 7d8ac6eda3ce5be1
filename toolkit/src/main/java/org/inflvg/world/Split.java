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

    private static final boolean[][] HELD_OUT = heldOut();

    /**
     * The held-out (action, background) pairs: every pair of the prompt sets 0, 4, 8 and 12 of the official
     * composition rule over 9 scenes (21 of the 96 pairs). The rule repeats every 24 sets; this choice leaves 18 of the
     * 24 patterns free of held-out pairs for any story length up to 9, so train and val have prompt sets of every
     * length while test holds compositions the base model and the policy never saw.
     */
    private static boolean[][] heldOut() {
        boolean[][] h = new boolean[Action.values().length][Background.values().length];
        for (int i : new int[] {0, 4, 8, 12}) {
            for (int j = 0; j < 9; j++) {
                h[(i + j) % Action.values().length][(i + 2 * j) % Background.values().length] = true;
            }
        }
        return h;
    }

    /** Whether an (action, background) pair is held out of training and validation (21 of the 96 pairs). */
    public static boolean heldOutPair(Action a, Background b) {
        return HELD_OUT[a.ordinal()][b.ordinal()];
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
