package org.inflvg.world;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Where the scene happens; backgrounds differ in colour and in texture. The phrase is the prompt's words. */
public enum Background {
    BEACH("on the beach"), FOREST("in the forest"), NIGHT_CITY("in the night city"), SNOWFIELD("on the snowfield"),
    DESERT("in the desert"), OCEAN("in the ocean"), ROOM("in the room"), SPACE("in space"),
    MEADOW("on the meadow"), VOLCANO("in the volcano"), CASTLE("in the castle"), CANDY_SHOP("in the candy shop");

    private final String phrase;

    Background(String phrase) {
        this.phrase = phrase;
    }

    /** The words of this background in a prompt, lower case. */
    public String phrase() {
        return phrase;
    }

    /** All background phrases, in declaration order. */
    public static List<String> phrases() {
        return Arrays.stream(values()).map(Background::phrase).toList();
    }

    /** The background whose phrase is {@code phrase} (case-insensitive), or an error listing them. */
    public static Background fromPhrase(String phrase) {
        String p = phrase.trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
        for (Background b : values()) {
            if (b.phrase.equals(p)) {
                return b;
            }
        }
        throw new IllegalArgumentException("unknown background '" + phrase + "'; backgrounds are: "
                + String.join(", ", phrases()));
    }

    /**
     * The colour at pixel (x, y) of a {@code size}-pixel frame, written to {@code rgb}. {@code ox, oy} shift the texture
     * (a per-clip random phase, so the same background is not pixel-identical in every clip).
     */
    void colour(int x, int y, int size, int ox, int oy, float[] rgb) {
        double s = size / 32.0; // textures are designed at 32 px and scale with the frame
        double fx = (x + ox) / s, fy = (y + oy) / s, ry = y / s;
        switch (this) {
            case BEACH -> {
                if (ry < 12) set(rgb, 0.55, 0.80, 0.97);
                else if (ry < 14) set(rgb, 0.2, 0.5, 0.85);
                else set(rgb, hash(fx, fy) < 0.15 ? 0.78 : 0.95, hash(fx, fy) < 0.15 ? 0.66 : 0.85, 0.55);
            }
            case FOREST -> {
                boolean trunk = ((int) fx % 8) < 2;
                if (trunk) set(rgb, 0.35, 0.22, 0.10);
                else set(rgb, 0.08, 0.34 + 0.08 * hash(fx, fy), 0.12);
            }
            case NIGHT_CITY -> {
                int bx = (int) Math.floor(fx / 6);
                double top = 6 + 10 * hash(bx, 7);
                if (ry < top) set(rgb, 0.04, 0.04, 0.16);
                else {
                    boolean window = ((int) fx % 3 == 1) && ((int) ry % 3 == 1) && hash(fx, ry) < 0.7;
                    if (window) set(rgb, 1.0, 0.85, 0.3);
                    else set(rgb, 0.16, 0.16, 0.24);
                }
            }
            case SNOWFIELD -> {
                double h = hash(fx, fy);
                if (h < 0.08) set(rgb, 0.70, 0.80, 0.95);
                else set(rgb, 0.94, 0.96, 1.0);
            }
            case DESERT -> {
                double dune = Math.sin(fx * 0.4 + fy * 0.9);
                if (dune > 0.6) set(rgb, 0.80, 0.48, 0.22);
                else set(rgb, 0.95, 0.66, 0.34);
            }
            case OCEAN -> {
                double wave = Math.sin(fx * 0.8 + 2 * Math.sin(fy * 0.5));
                if (((int) fy % 5 == 0) && wave > 0) set(rgb, 0.55, 0.8, 1.0);
                else set(rgb, 0.08, 0.30, 0.72);
            }
            case ROOM -> {
                if (ry < 19) set(rgb, ((int) fx % 6 == 0) ? 0.75 : 0.86, ((int) fx % 6 == 0) ? 0.66 : 0.78, 0.62);
                else {
                    boolean dark = (((int) Math.floor(fx / 4) + (int) Math.floor(ry / 4)) & 1) == 0;
                    if (dark) set(rgb, 0.42, 0.26, 0.14);
                    else set(rgb, 0.72, 0.52, 0.32);
                }
            }
            case SPACE -> {
                double h = hash(fx, fy);
                if (h < 0.05) set(rgb, 1.0, 1.0, 0.9);
                else set(rgb, 0.02, 0.02, 0.06);
            }
            case MEADOW -> {
                double h = hash(fx, fy);
                if (h < 0.06) set(rgb, 1.0, 0.55, 0.8);
                else if (h < 0.10) set(rgb, 1.0, 1.0, 0.9);
                else set(rgb, 0.42, 0.78, 0.30);
            }
            case VOLCANO -> {
                double crack = Math.abs(Math.sin((fx + fy) * 0.45) + Math.sin((fx - 2 * fy) * 0.23));
                if (crack < 0.18) set(rgb, 1.0, 0.55, 0.05);
                else set(rgb, 0.30, 0.06, 0.04);
            }
            case CASTLE -> {
                int row = (int) Math.floor(fy / 4);
                int col = (int) Math.floor((fx + (row % 2) * 4) / 8);
                boolean mortar = ((int) fy % 4 == 0) || ((int) (fx + (row % 2) * 4) % 8 == 0);
                if (mortar) set(rgb, 0.30, 0.30, 0.33);
                else {
                    double v = 0.52 + 0.1 * hash(col, row);
                    set(rgb, v, v, v + 0.03);
                }
            }
            case CANDY_SHOP -> {
                double cx = ((fx % 6) + 6) % 6 - 3, cy = ((fy % 6) + 6) % 6 - 3;
                if (cx * cx + cy * cy < 2.3) set(rgb, 0.3, 0.85, 0.9);
                else set(rgb, 0.98, 0.70, 0.85);
            }
            default -> throw new IllegalStateException(name());
        }
    }

    private static void set(float[] rgb, double r, double g, double b) {
        rgb[0] = (float) r;
        rgb[1] = (float) g;
        rgb[2] = (float) b;
    }

    /** A deterministic hash of a lattice point to [0, 1). */
    static double hash(double x, double y) {
        long h = (long) Math.floor(x) * 73856093L ^ (long) Math.floor(y) * 19349663L;
        h ^= (h >>> 13);
        h *= 0x5bd1e995L;
        h ^= (h >>> 15);
        return ((h & 0xffffff) / (double) 0x1000000);
    }
}
