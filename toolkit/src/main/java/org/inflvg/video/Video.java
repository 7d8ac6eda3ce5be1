package org.inflvg.video;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * An immutable clip: frames x height x width x RGB, values in [0, 1], in one array indexed
 * {@code ((f * H + y) * W + x) * 3 + c}. Saves by extension (.mp4 through JavaCV's FFmpeg, .gif animated, .png a strip of
 * frames); writes go to a temporary file that is renamed, so a failed write never leaves half a file.
 */
public final class Video {

    private final int frames, height, width;
    private final float[] rgb;

    private Video(int frames, int height, int width, float[] rgb) {
        this.frames = frames;
        this.height = height;
        this.width = width;
        this.rgb = rgb;
    }

    /** A clip from RGB values in [0, 1] (copied). */
    public static Video of(int frames, int height, int width, float[] rgb) {
        if (frames < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("a video needs at least 1 frame of 1x1 pixels, got " + frames + " frames of "
                    + width + "x" + height);
        }
        if (rgb.length != (long) frames * height * width * 3) {
            throw new IllegalArgumentException("rgb holds " + rgb.length + " values; " + frames + " frames of " + width + "x"
                    + height + " RGB need " + (long) frames * height * width * 3);
        }
        for (float v : rgb) {
            if (!(v >= 0f && v <= 1f)) {
                throw new IllegalArgumentException("RGB values must be in [0, 1], got " + v);
            }
        }
        return new Video(frames, height, width, rgb.clone());
    }

    /** Frames of several clips of the same size, one after another. */
    public static Video concat(List<Video> clips) {
        if (clips.isEmpty()) {
            throw new IllegalArgumentException("nothing to concatenate");
        }
        Video a = clips.get(0);
        int total = 0;
        for (Video v : clips) {
            if (v.height != a.height || v.width != a.width) {
                throw new IllegalArgumentException("cannot concatenate " + v.width + "x" + v.height + " frames to " + a.width
                        + "x" + a.height + " frames");
            }
            total += v.frames;
        }
        float[] all = new float[total * a.height * a.width * 3];
        int o = 0;
        for (Video v : clips) {
            System.arraycopy(v.rgb, 0, all, o, v.rgb.length);
            o += v.rgb.length;
        }
        return new Video(total, a.height, a.width, all);
    }

    /**
     * Clips of equal frame size stacked top to bottom with a 1-pixel dark gap, one row per clip (a side-by-side view
     * of alternatives); as long as the shortest clip.
     */
    public static Video stack(List<Video> rows) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("nothing to stack");
        }
        Video a = rows.get(0);
        int F = Integer.MAX_VALUE, h = a.height, w = a.width;
        for (Video v : rows) {
            if (v.height != h || v.width != w) {
                throw new IllegalArgumentException("cannot stack " + v.width + "x" + v.height + " frames with " + w + "x" + h
                        + " frames");
            }
            F = Math.min(F, v.frames);
        }
        int H = rows.size() * (h + 1) - 1, rowLen = w * 3;
        float[] out = new float[F * H * w * 3];
        java.util.Arrays.fill(out, 20f / 255f);
        for (int r = 0; r < rows.size(); r++) {
            float[] src = rows.get(r).rgb;
            for (int f = 0; f < F; f++) {
                for (int y = 0; y < h; y++) {
                    System.arraycopy(src, (f * h + y) * rowLen, out, ((f * H) + r * (h + 1) + y) * rowLen, rowLen);
                }
            }
        }
        return new Video(F, H, w, out);
    }

    public Video concat(Video other) {
        return concat(List.of(this, other));
    }

    /** Frames [from, to). */
    public Video frames(int from, int to) {
        if (from < 0 || to > frames || from >= to) {
            throw new IllegalArgumentException("frame range [" + from + ", " + to + ") is not inside [0, " + frames + ")");
        }
        int per = height * width * 3;
        float[] part = new float[(to - from) * per];
        System.arraycopy(rgb, from * per, part, 0, part.length);
        return new Video(to - from, height, width, part);
    }

    public int frameCount() {
        return frames;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public float get(int f, int y, int x, int c) {
        return rgb[((f * height + y) * width + x) * 3 + c];
    }

    /** All values (a copy). */
    public float[] rgb() {
        return rgb.clone();
    }

    /** One frame's values (a copy). */
    public float[] frameRgb(int f) {
        int per = height * width * 3;
        float[] out = new float[per];
        System.arraycopy(rgb, f * per, out, 0, per);
        return out;
    }

    /** Nearest-neighbour upscaling by an integer factor (for looking at 32x32 frames). */
    public Video upscale(int k) {
        if (k < 1 || k > 64) {
            throw new IllegalArgumentException("upscale factor must be in [1, 64], got " + k);
        }
        if (k == 1) {
            return this;
        }
        int h = height * k, w = width * k;
        float[] o = new float[frames * h * w * 3];
        for (int f = 0; f < frames; f++) {
            for (int y = 0; y < h; y++) {
                int src = (f * height + y / k) * width;
                int dst = (f * h + y) * w;
                for (int x = 0; x < w; x++) {
                    System.arraycopy(rgb, (src + x / k) * 3, o, (dst + x) * 3, 3);
                }
            }
        }
        return new Video(frames, h, w, o);
    }

    private static int to8(float v) {
        return Math.round(v * 255);
    }

    /** Frame {@code f} as an RGB image. */
    public BufferedImage frameImage(int f) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int o = ((f * height + y) * width + x) * 3;
                img.setRGB(x, y, to8(rgb[o]) << 16 | to8(rgb[o + 1]) << 8 | to8(rgb[o + 2]));
            }
        }
        return img;
    }

    /** Frames in a grid of {@code columns} with a 1-pixel dark gap. */
    public BufferedImage grid(int columns) {
        int cols = Math.max(1, Math.min(columns, frames)), rows = (frames + cols - 1) / cols;
        BufferedImage img = new BufferedImage(cols * (width + 1) - 1, rows * (height + 1) - 1, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = img.createGraphics();
        g.setColor(new java.awt.Color(20, 20, 24));
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        for (int f = 0; f < frames; f++) {
            g.drawImage(frameImage(f), (f % cols) * (width + 1), (f / cols) * (height + 1), null);
        }
        g.dispose();
        return img;
    }

    /** All frames in one row. */
    public BufferedImage strip() {
        return grid(frames);
    }

    /** SHA-256 of the frames as 8-bit RGB: compares runs without decoding a video file. */
    public String sha256() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] b = new byte[rgb.length];
            for (int i = 0; i < rgb.length; i++) {
                b[i] = (byte) to8(rgb[i]);
            }
            md.update(b);
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the clip; the extension chooses the format: .mp4 (H.264), .gif (animated), .png (a strip of frames). */
    public void save(Path path) {
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        String ext = name.contains(".") ? name.substring(name.lastIndexOf('.')) : "";
        if (!List.of(".mp4", ".gif", ".png").contains(ext)) {
            throw new IllegalArgumentException("cannot save video to " + path + ": unknown extension '" + ext
                    + "'; use .mp4, .gif or .png");
        }
        Path abs = path.toAbsolutePath();
        try {
            Files.createDirectories(abs.getParent());
            Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ext);
            try {
                switch (ext) {
                    case ".mp4" -> VideoFiles.writeMp4(this, tmp, 8);
                    case ".gif" -> VideoFiles.writeGif(this, tmp, 125);
                    default -> javax.imageio.ImageIO.write(strip(), "png", tmp.toFile());
                }
                try {
                    Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
                } catch (UnsupportedOperationException ignored) {
                    // not a POSIX file system: keep the default permissions
                }
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
    }

    /** Reads an .mp4 (or any file FFmpeg decodes) or an animated .gif. */
    public static Video load(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("video file " + path + " does not exist");
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".gif") ? VideoFiles.readGif(path) : VideoFiles.readWithFfmpeg(path);
    }

    @Override
    public String toString() {
        return "Video[" + frames + " frames, " + width + "x" + height + "]";
    }
}
