package org.inflvg.world;

/**
 * Sizes of the rendered world.
 *
 * @param size       frame height and width in pixels (square frames)
 * @param frames     frames per scene
 * @param spriteSize the subject's extent in pixels at scale 1
 */
public record WorldConfig(int size, int frames, int spriteSize) {

    /** 32x32 frames, 8 frames a scene, 14-pixel sprites. */
    public static final WorldConfig DEFAULT = new WorldConfig(32, 8, 14);

    public WorldConfig {
        if (size < 8 || size > 512) {
            throw new IllegalArgumentException("size must be in [8, 512] pixels, got " + size);
        }
        if (frames < 1 || frames > 256) {
            throw new IllegalArgumentException("frames must be in [1, 256], got " + frames);
        }
        if (spriteSize < 4 || spriteSize > size) {
            throw new IllegalArgumentException("spriteSize must be in [4, size=" + size + "], got " + spriteSize);
        }
    }

    public WorldConfig withSize(int s) {
        return new WorldConfig(s, frames, Math.max(4, spriteSize * s / size));
    }

    public WorldConfig withFrames(int f) {
        return new WorldConfig(size, f, spriteSize);
    }
}
