package org.inflvg.model;

import org.inflvg.video.Video;

/** Frames to patch tokens and back. Token j of a run of frames: frame j / T, then row-major patch cells; values in [-1, 1]. */
public final class Patches {

    private Patches() {
    }

    /** Tokens of frames [from, from + count) of {@code v}, written to {@code out} at {@code offset}: count*T*P floats. */
    public static void toTokens(Video v, int from, int count, int patch, float[] out, int offset) {
        int n = v.width(), g = n / patch, T = g * g, P = patch * patch * 3;
        if (v.height() != n || n % patch != 0) {
            throw new IllegalArgumentException("frames must be square and divisible by the patch size " + patch + ", got "
                    + v.width() + "x" + v.height());
        }
        float[] rgb = v.rgb();
        for (int f = 0; f < count; f++) {
            for (int cell = 0; cell < T; cell++) {
                int row = cell / g, col = cell % g;
                int o = offset + (f * T + cell) * P;
                for (int py = 0; py < patch; py++) {
                    for (int px = 0; px < patch; px++) {
                        int src = (((from + f) * n + row * patch + py) * n + col * patch + px) * 3;
                        int dst = o + (py * patch + px) * 3;
                        out[dst] = rgb[src] * 2 - 1;
                        out[dst + 1] = rgb[src + 1] * 2 - 1;
                        out[dst + 2] = rgb[src + 2] * 2 - 1;
                    }
                }
            }
        }
    }

    /** Frames (RGB in [0, 1], clamped) from {@code frames * T} tokens. */
    public static Video toVideo(float[] tokens, int frames, int size, int patch) {
        int g = size / patch, T = g * g, P = patch * patch * 3;
        float[] rgb = new float[frames * size * size * 3];
        for (int f = 0; f < frames; f++) {
            for (int cell = 0; cell < T; cell++) {
                int row = cell / g, col = cell % g;
                int o = (f * T + cell) * P;
                for (int py = 0; py < patch; py++) {
                    for (int px = 0; px < patch; px++) {
                        int dst = ((f * size + row * patch + py) * size + col * patch + px) * 3;
                        for (int c = 0; c < 3; c++) {
                            float x = (tokens[o + (py * patch + px) * 3 + c] + 1) / 2;
                            rgb[dst + c] = x < 0 ? 0 : (x > 1 ? 1 : x);
                        }
                    }
                }
            }
        }
        return Video.of(frames, size, size, rgb);
    }
}
