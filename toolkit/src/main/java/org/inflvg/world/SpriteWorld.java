package org.inflvg.world;

import java.util.SplittableRandom;
import org.inflvg.video.Video;

/**
 * The procedural world: renders a scene prompt for one individual, deterministically from (prompt, identity, seed).
 * The seed decides the subject's starting place and the background texture's phase; nothing else is random.
 */
public final class SpriteWorld {

    private final WorldConfig config;

    public SpriteWorld(WorldConfig config) {
        this.config = config;
    }

    /** The default 32x32, 8-frame world. */
    public static SpriteWorld standard() {
        return new SpriteWorld(WorldConfig.DEFAULT);
    }

    public WorldConfig config() {
        return config;
    }

    /** Renders {@code prompt} (parsed) for {@code identity}. */
    public Clip render(String prompt, int identity, long seed) {
        return render(Prompt.parse(prompt), new Identity(identity), seed);
    }

    /** Renders one scene with its ground truth. */
    public Clip render(Prompt prompt, Identity identity, long seed) {
        int n = config.size(), frames = config.frames();
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 17);
        int ox = rnd.nextInt(8), oy = rnd.nextInt(8);
        double half = config.spriteSize() / 2.0;
        // start place: jitter around the centre, a little below the middle (standing on the ground)
        double cx0 = n / 2.0 + (rnd.nextDouble() - 0.5) * n * 0.2;
        double cy0 = n * 0.56 + (rnd.nextDouble() - 0.5) * n * 0.12;
        float[] rgb = new float[frames * n * n * 3];
        boolean[][] mask = new boolean[frames][n * n];
        float[] bg = new float[3];
        float[] prim = Identity.PALETTE[identity.primary()];
        float[] sec = Identity.PALETTE[identity.secondary()];
        for (int f = 0; f < frames; f++) {
            double phase = frames == 1 ? 0 : f / (double) (frames - 1);
            Action.Pose pose = prompt.action().pose(phase);
            double cx = cx0 + pose.dx() * config.spriteSize();
            double cy = cy0 + pose.dy() * config.spriteSize();
            double scale = half * pose.scale();
            double cos = Math.cos(pose.angle()), sin = Math.sin(pose.angle());
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    int o = ((f * n + y) * n + x) * 3;
                    // pixel centre into sprite-local coordinates (inverse rotation)
                    double px = (x + 0.5 - cx) / scale, py = (y + 0.5 - cy) / scale;
                    double u = cos * px + sin * py, v = -sin * px + cos * py;
                    int part = spritePart(prompt.subject(), identity, u, v);
                    float[] c;
                    switch (part) {
                        case Subject.BODY -> c = prim;
                        case Subject.SECONDARY, MARK -> c = sec;
                        case Subject.DARK -> c = DARK;
                        case Subject.LIGHT -> c = LIGHT;
                        case HAT -> c = HAT_COLOUR;
                        case BELT -> c = BELT_COLOUR;
                        default -> {
                            prompt.background().colour(x, y, n, ox, oy, bg);
                            c = bg;
                        }
                    }
                    rgb[o] = c[0];
                    rgb[o + 1] = c[1];
                    rgb[o + 2] = c[2];
                    mask[f][y * n + x] = part != Subject.NONE;
                }
            }
        }
        return new Clip(Video.of(frames, n, n, rgb), prompt, identity, seed, mask);
    }

    /** Renders only the background of a prompt (no subject), e.g. as a reference for background checks. */
    public Video renderBackground(Background background, long seed) {
        int n = config.size();
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 17);
        int ox = rnd.nextInt(8), oy = rnd.nextInt(8);
        float[] rgb = new float[n * n * 3];
        float[] c = new float[3];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                background.colour(x, y, n, ox, oy, c);
                System.arraycopy(c, 0, rgb, (y * n + x) * 3, 3);
            }
        }
        return Video.of(1, n, n, rgb);
    }

    private static final int MARK = 10, HAT = 11, BELT = 12;
    private static final float[] DARK = {0.05f, 0.05f, 0.08f};
    private static final float[] LIGHT = {0.98f, 0.98f, 0.98f};
    private static final float[] HAT_COLOUR = {0.10f, 0.08f, 0.30f};
    private static final float[] BELT_COLOUR = {0.95f, 0.80f, 0.20f};

    /** The subject's silhouette with the individual's marking and accessory applied. */
    private static int spritePart(Subject s, Identity id, double u, double v) {
        if (id.accessory() == 1 && Math.abs(u) < 0.32 && v > -1.25 && v < -0.78) {
            return HAT;
        }
        if (id.accessory() == 1 && Math.abs(u) < 0.5 && v >= -0.84 && v < -0.74) {
            return HAT;
        }
        int part = s.part(u, v);
        if (part != Subject.BODY) {
            return part;
        }
        if (id.accessory() == 2 && Math.abs(v - 0.25) < 0.09) {
            return BELT;
        }
        return switch (id.marking()) {
            case 1 -> (((int) Math.floor((v + 1.0) * 3.2)) & 1) == 1 ? MARK : part;
            case 2 -> {
                double du = ((u + 1.0) * 3.0) % 1.0 - 0.5, dv = ((v + 1.0) * 3.0) % 1.0 - 0.5;
                yield du * du + dv * dv < 0.07 ? MARK : part;
            }
            case 3 -> Math.abs(u + v) < 0.22 ? MARK : part;
            default -> part;
        };
    }
}
