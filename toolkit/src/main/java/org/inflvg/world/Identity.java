package org.inflvg.world;

/**
 * An individual of a subject category: its palette, marking and accessory come from its number and are never named in
 * a prompt. Numbers 0 .. {@link #COUNT}-1 give distinct appearances: primary colour (12), secondary colour (11 others),
 * marking (4) and accessory (3).
 *
 * @param number the identity number, in [0, COUNT)
 */
public record Identity(int number) {

    /** Number of distinct individuals per category. */
    public static final int COUNT = 12 * 11 * 4 * 3;

    static final float[][] PALETTE = {
        {0.90f, 0.10f, 0.10f}, // red
        {1.00f, 0.55f, 0.00f}, // orange
        {1.00f, 0.90f, 0.10f}, // yellow
        {0.60f, 1.00f, 0.20f}, // lime
        {0.05f, 0.55f, 0.20f}, // green
        {0.10f, 0.90f, 0.90f}, // cyan
        {0.15f, 0.30f, 1.00f}, // blue
        {0.55f, 0.20f, 0.85f}, // purple
        {0.95f, 0.20f, 0.75f}, // magenta
        {0.55f, 0.30f, 0.12f}, // brown
        {0.97f, 0.97f, 0.97f}, // white
        {0.15f, 0.15f, 0.15f}, // black
    };
    static final String[] COLOUR_NAMES = {"red", "orange", "yellow", "lime", "green", "cyan", "blue", "purple",
        "magenta", "brown", "white", "black"};
    static final String[] MARKINGS = {"plain", "stripes", "dots", "band"};
    static final String[] ACCESSORIES = {"none", "hat", "belt"};

    public Identity {
        if (number < 0 || number >= COUNT) {
            throw new IllegalArgumentException("identity must be in [0, " + (COUNT - 1) + "], got " + number);
        }
    }

    int primary() {
        return number % 12;
    }

    int secondary() {
        int s = (number / 12) % 11;
        return s >= primary() ? s + 1 : s; // never the primary colour
    }

    int marking() {
        return (number / 132) % 4;
    }

    int accessory() {
        return (number / 528) % 3;
    }

    /** The individual's two colours, primary then secondary, as RGB in [0, 1] (copies). */
    public float[][] colours() {
        return new float[][] {PALETTE[primary()].clone(), PALETTE[secondary()].clone()};
    }

    /** A human description for debugging ("red with blue stripes, hat"); never part of a prompt. */
    public String describe() {
        return COLOUR_NAMES[primary()] + " with " + COLOUR_NAMES[secondary()] + " " + MARKINGS[marking()]
                + ", accessory " + ACCESSORIES[accessory()];
    }

    /** Which split this individual belongs to: identities never cross splits. */
    public Split split() {
        int r = number % 10;
        return r < 8 ? Split.TRAIN : r == 8 ? Split.VAL : Split.TEST;
    }

    @Override
    public String toString() {
        return "Identity#" + number + " (" + describe() + ")";
    }
}
