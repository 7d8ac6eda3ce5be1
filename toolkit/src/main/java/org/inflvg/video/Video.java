package org.inflvg.video;

/** Placeholder until the video package lands: frames x height x width x RGB in [0,1]. */
public final class Video {
    private final int frames, height, width;
    private final float[] rgb;

    private Video(int frames, int height, int width, float[] rgb) {
        this.frames = frames;
        this.height = height;
        this.width = width;
        this.rgb = rgb;
    }

    public static Video of(int frames, int height, int width, float[] rgb) {
        if (rgb.length != frames * height * width * 3) {
            throw new IllegalArgumentException("rgb length " + rgb.length + " != frames*height*width*3");
        }
        return new Video(frames, height, width, rgb.clone());
    }

    public int frameCount() { return frames; }
    public int height() { return height; }
    public int width() { return width; }
    public float[] rgb() { return rgb.clone(); }
    public float get(int f, int y, int x, int c) { return rgb[((f * height + y) * width + x) * 3 + c]; }
}
