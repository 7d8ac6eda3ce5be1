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
    public Video upscale(int k) {
        float[] o = new float[frames * height * k * width * k * 3];
        for (int f = 0; f < frames; f++) for (int y = 0; y < height * k; y++) for (int x = 0; x < width * k; x++)
            for (int c = 0; c < 3; c++) o[((f * height * k + y) * width * k + x) * 3 + c] = get(f, y / k, x / k, c);
        return new Video(frames, height * k, width * k, o);
    }
    public String sha256() {
        try {
            var md = java.security.MessageDigest.getInstance("SHA-256");
            for (float v : rgb) md.update((byte) Math.round(v * 255));
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (Exception e) { throw new IllegalStateException(e); }
    }
    public void save(java.nio.file.Path p) {
        if (!p.toString().endsWith(".png")) return; // placeholder: only png grids until the video package lands
        var img = new java.awt.image.BufferedImage(frames * (width + 1), height, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int f = 0; f < frames; f++) for (int y = 0; y < height; y++) for (int x = 0; x < width; x++)
            img.setRGB(f * (width + 1) + x, y, ((int) (get(f, y, x, 0) * 255) << 16) | ((int) (get(f, y, x, 1) * 255) << 8) | (int) (get(f, y, x, 2) * 255));
        try { java.nio.file.Files.createDirectories(p.toAbsolutePath().getParent()); javax.imageio.ImageIO.write(img, "png", p.toFile()); }
        catch (java.io.IOException e) { throw new java.io.UncheckedIOException(e); }
    }
}
