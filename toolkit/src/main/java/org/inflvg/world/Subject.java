package org.inflvg.world;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A subject category: the word in the prompt ("A robot ..."). The individual's appearance is not a subject, it is an
 * {@link Identity}. Each category has its own silhouette, drawn in sprite-local coordinates u, v in [-1, 1] (v down).
 */
public enum Subject {
    ROBOT("robot"), CAT("cat"), KNIGHT("knight"), GHOST("ghost"),
    FISH("fish"), BIRD("bird"), ALIEN("alien"), SNOWMAN("snowman");

    /** Part codes returned by {@link #part}: what a sprite-local point shows. */
    static final int NONE = 0, BODY = 1, SECONDARY = 2, DARK = 3, LIGHT = 4;

    private final String word;

    Subject(String word) {
        this.word = word;
    }

    /** The word used in prompts, lower case. */
    public String word() {
        return word;
    }

    /** All subject words, in declaration order. */
    public static List<String> words() {
        return Arrays.stream(values()).map(Subject::word).toList();
    }

    /** The subject named by {@code word} (case-insensitive), or an error that lists the vocabulary. */
    public static Subject fromWord(String word) {
        String w = word.trim().toLowerCase(Locale.ROOT);
        for (Subject s : values()) {
            if (s.word.equals(w)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown subject '" + word + "'; subjects are: " + String.join(", ", words()));
    }

    /** The part of this category's silhouette at sprite-local point (u, v), v pointing down; {@link #NONE} outside. */
    int part(double u, double v) {
        switch (this) {
            case ROBOT -> {
                if (circle(u, v, -0.2, -0.32, 0.11) || circle(u, v, 0.2, -0.32, 0.11)) return DARK;
                if (rect(u, v, -0.45, -0.62, 0.45, 0.0)) return SECONDARY;
                if (rect(u, v, -0.05, -0.85, 0.05, -0.62) || circle(u, v, 0, -0.88, 0.09)) return DARK;
                if (rect(u, v, -0.62, 0.0, 0.62, 0.8)) return BODY;
                if (rect(u, v, -0.45, 0.8, -0.2, 1.0) || rect(u, v, 0.2, 0.8, 0.45, 1.0)) return DARK;
                if (rect(u, v, -0.85, 0.1, -0.62, 0.55) || rect(u, v, 0.62, 0.1, 0.85, 0.55)) return SECONDARY;
                return NONE;
            }
            case CAT -> {
                if (circle(u, v, -0.15, -0.4, 0.08) || circle(u, v, 0.15, -0.4, 0.08)) return DARK;
                if (triangle(u, v, -0.45, -0.55, -0.05, -0.55, -0.3, -0.95)
                        || triangle(u, v, 0.05, -0.55, 0.45, -0.55, 0.3, -0.95)) return SECONDARY;
                if (circle(u, v, 0, -0.35, 0.38)) return BODY;
                if (ellipse(u, v, 0, 0.4, 0.62, 0.42)) return BODY;
                if (rect(u, v, 0.55, -0.1, 0.72, 0.5)) return SECONDARY;
                if (rect(u, v, -0.45, 0.75, -0.25, 1.0) || rect(u, v, 0.25, 0.75, 0.45, 1.0)) return SECONDARY;
                return NONE;
            }
            case KNIGHT -> {
                if (rect(u, v, -0.25, -0.5, 0.25, -0.4)) return DARK;
                if (circle(u, v, 0, -0.45, 0.36)) return SECONDARY;
                if (ellipse(u, v, -0.62, 0.3, 0.25, 0.38)) return SECONDARY;
                if (rect(u, v, -0.45, -0.1, 0.45, 0.75)) return BODY;
                if (rect(u, v, 0.45, -0.3, 0.55, 0.6)) return LIGHT;
                if (rect(u, v, -0.38, 0.75, -0.1, 1.0) || rect(u, v, 0.1, 0.75, 0.38, 1.0)) return DARK;
                return NONE;
            }
            case GHOST -> {
                if (circle(u, v, -0.22, -0.3, 0.1) || circle(u, v, 0.22, -0.3, 0.1)) return DARK;
                if (circle(u, v, -0.22, -0.3, 0.19) || circle(u, v, 0.22, -0.3, 0.19)) return LIGHT;
                boolean dome = circle(u, v, 0, -0.25, 0.65);
                boolean skirt = Math.abs(u) < 0.65 && v >= -0.25 && v < 0.75 + 0.18 * Math.sin(u * 12);
                if (dome || skirt) return v > 0.3 ? SECONDARY : BODY;
                return NONE;
            }
            case FISH -> {
                if (circle(u, v, -0.45, -0.1, 0.1)) return DARK;
                if (u > 0.45 && u < 1.0 && Math.abs(v) < (u - 0.45) * 1.2) return SECONDARY;
                if (triangle(u, v, -0.3, -0.35, 0.25, -0.35, 0.05, -0.75)) return SECONDARY;
                if (ellipse(u, v, -0.1, 0, 0.68, 0.45)) return BODY;
                return NONE;
            }
            case BIRD -> {
                if (circle(u, v, 0.42, -0.5, 0.08)) return DARK;
                if (triangle(u, v, 0.6, -0.55, 0.6, -0.3, 0.95, -0.42)) return SECONDARY;
                if (ellipse(u, v, -0.12, 0.18, 0.36, 0.22)) return SECONDARY;
                if (circle(u, v, 0.32, -0.45, 0.3)) return BODY;
                if (circle(u, v, 0, 0.15, 0.58)) return BODY;
                if (rect(u, v, -0.2, 0.7, -0.1, 1.0) || rect(u, v, 0.1, 0.7, 0.2, 1.0)) return DARK;
                return NONE;
            }
            case ALIEN -> {
                if (ellipse(u, v, -0.25, -0.3, 0.15, 0.2) || ellipse(u, v, 0.25, -0.3, 0.15, 0.2)) return DARK;
                if (circle(u, v, -0.5, -0.92, 0.1) || circle(u, v, 0.5, -0.92, 0.1)) return SECONDARY;
                if (Math.abs(u + 0.6 * (v + 0.6) / 0.35 * 0.5) < 0.05 && v > -0.92 && v < -0.6) return SECONDARY;
                if (Math.abs(u - 0.6 * (v + 0.6) / 0.35 * 0.5) < 0.05 && v > -0.92 && v < -0.6) return SECONDARY;
                if (ellipse(u, v, 0, -0.3, 0.62, 0.45)) return BODY;
                if (rect(u, v, -0.3, 0.1, 0.3, 0.9)) return SECONDARY;
                if (rect(u, v, -0.6, 0.2, 0.6, 0.35)) return BODY;
                return NONE;
            }
            case SNOWMAN -> {
                if (circle(u, v, -0.13, -0.42, 0.07) || circle(u, v, 0.13, -0.42, 0.07)) return DARK;
                if (triangle(u, v, -0.04, -0.3, -0.04, -0.2, 0.35, -0.25)) return SECONDARY;
                if (circle(u, v, 0, 0.3, 0.07) || circle(u, v, 0, 0.6, 0.07)) return DARK;
                if (circle(u, v, 0, -0.35, 0.33)) return BODY;
                if (circle(u, v, 0, 0.45, 0.52)) return BODY;
                if (rect(u, v, -0.8, 0.05, -0.45, 0.12) || rect(u, v, 0.45, 0.05, 0.8, 0.12)) return SECONDARY;
                return NONE;
            }
            default -> throw new IllegalStateException(name());
        }
    }

    private static boolean rect(double u, double v, double u0, double v0, double u1, double v1) {
        return u >= u0 && u < u1 && v >= v0 && v < v1;
    }

    private static boolean circle(double u, double v, double cu, double cv, double r) {
        double du = u - cu, dv = v - cv;
        return du * du + dv * dv < r * r;
    }

    private static boolean ellipse(double u, double v, double cu, double cv, double ru, double rv) {
        double du = (u - cu) / ru, dv = (v - cv) / rv;
        return du * du + dv * dv < 1;
    }

    private static boolean triangle(double u, double v, double u0, double v0, double u1, double v1, double u2, double v2) {
        double d1 = (u - u1) * (v0 - v1) - (u0 - u1) * (v - v1);
        double d2 = (u - u2) * (v1 - v2) - (u1 - u2) * (v - v2);
        double d3 = (u - u0) * (v2 - v0) - (u2 - u0) * (v - v0);
        boolean neg = d1 < 0 || d2 < 0 || d3 < 0;
        boolean pos = d1 > 0 || d2 > 0 || d3 > 0;
        return !(neg && pos);
    }
}
