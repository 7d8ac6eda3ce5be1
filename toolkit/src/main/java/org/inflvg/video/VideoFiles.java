package org.inflvg.video;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;

/** Video file formats. JavaCV (and its native FFmpeg) is touched only here, and only when an .mp4 is read or written. */
final class VideoFiles {

    private VideoFiles() {
    }

    /**
     * H.264 in an MP4 container, yuv420p. Sizes are padded (dark) to multiples of 16 (H.264 macroblocks; other sizes are cropped or fail to decode); clips under 16
     * pixels a side are upscaled first (OpenH264 rejects, and can crash on, smaller frames).
     */
    static void writeMp4(Video v, Path file, int fps) throws IOException {
        int min = Math.min(v.width(), v.height());
        if (min < 16) {
            v = v.upscale((16 + min - 1) / min);
        }
        int w = (v.width() + 15) / 16 * 16, h = (v.height() + 15) / 16 * 16; // macroblock-aligned: decodes cleanly
        org.bytedeco.ffmpeg.global.avutil.av_log_set_level(org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR);
        try (var rec = new org.bytedeco.javacv.FFmpegFrameRecorder(file.toFile(), w, h, 0);
             var conv = new org.bytedeco.javacv.Java2DFrameConverter()) {
            rec.setFormat("mp4");
            rec.setVideoCodec(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264);
            rec.setPixelFormat(org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P);
            rec.setFrameRate(fps);
            rec.setVideoQuality(0);
            rec.setVideoOption("crf", "12");
            rec.setVideoBitrate(4_000_000);
            rec.start();
            for (int f = 0; f < v.frameCount(); f++) {
                BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
                img.getGraphics().drawImage(v.frameImage(f), 0, 0, null);
                rec.record(conv.convert(img));
            }
            rec.stop();
        } catch (org.bytedeco.javacv.FrameRecorder.Exception e) {
            throw new IOException("FFmpeg could not write " + file + ": " + e.getMessage(), e);
        }
    }

    static Video readWithFfmpeg(Path file) {
        List<BufferedImage> frames = new ArrayList<>();
        org.bytedeco.ffmpeg.global.avutil.av_log_set_level(org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR);
        try (var grab = new org.bytedeco.javacv.FFmpegFrameGrabber(file.toFile())) {
            grab.setPixelFormat(org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR24);
            grab.start();
            org.bytedeco.javacv.Frame fr;
            while ((fr = grab.grabImage()) != null) {
                // BGR24 rows may be padded (stride > 3 * width): copy row by row, not through Java2DFrameConverter
                int w = fr.imageWidth, h = fr.imageHeight, stride = fr.imageStride, ch = fr.imageChannels;
                java.nio.ByteBuffer buf = (java.nio.ByteBuffer) fr.image[0];
                BufferedImage copy = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int o = y * stride + x * ch;
                        int b = buf.get(o) & 255, g = buf.get(o + 1) & 255, r = buf.get(o + 2) & 255;
                        copy.setRGB(x, y, r << 16 | g << 8 | b);
                    }
                }
                frames.add(copy);
            }
            grab.stop();
        } catch (org.bytedeco.javacv.FrameGrabber.Exception e) {
            throw new IllegalArgumentException("cannot decode video " + file + ": " + e.getMessage());
        }
        return fromImages(frames, file);
    }

    static Video fromImages(List<BufferedImage> frames, Path file) {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("video " + file + " has no frames");
        }
        int w = frames.get(0).getWidth(), h = frames.get(0).getHeight();
        float[] rgb = new float[frames.size() * w * h * 3];
        for (int f = 0; f < frames.size(); f++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int p = frames.get(f).getRGB(x, y), o = ((f * h + y) * w + x) * 3;
                    rgb[o] = ((p >> 16) & 255) / 255f;
                    rgb[o + 1] = ((p >> 8) & 255) / 255f;
                    rgb[o + 2] = (p & 255) / 255f;
                }
            }
        }
        return Video.of(frames.size(), h, w, rgb);
    }

    /** Animated, looping GIF with {@code delayMs} per frame (javax.imageio, no native code). */
    static void writeGif(Video v, Path file, int delayMs) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            ImageTypeSpecifier type = ImageTypeSpecifier.createFromBufferedImageType(BufferedImage.TYPE_INT_RGB);
            writer.prepareWriteSequence(null);
            for (int f = 0; f < v.frameCount(); f++) {
                IIOMetadata meta = writer.getDefaultImageMetadata(type, param);
                String format = meta.getNativeMetadataFormatName();
                IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(format);
                IIOMetadataNode gce = child(root, "GraphicControlExtension");
                gce.setAttribute("disposalMethod", "none");
                gce.setAttribute("userInputFlag", "FALSE");
                gce.setAttribute("transparentColorFlag", "FALSE");
                gce.setAttribute("delayTime", String.valueOf(Math.max(1, delayMs / 10)));
                gce.setAttribute("transparentColorIndex", "0");
                if (f == 0) {
                    IIOMetadataNode apps = child(root, "ApplicationExtensions");
                    IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
                    app.setAttribute("applicationID", "NETSCAPE");
                    app.setAttribute("authenticationCode", "2.0");
                    app.setUserObject(new byte[] {1, 0, 0}); // loop forever
                    apps.appendChild(app);
                }
                meta.setFromTree(format, root);
                writer.writeToSequence(new IIOImage(v.frameImage(f), null, meta), param);
            }
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equalsIgnoreCase(name)) {
                return (IIOMetadataNode) root.item(i);
            }
        }
        IIOMetadataNode n = new IIOMetadataNode(name);
        root.appendChild(n);
        return n;
    }

    static Video readGif(Path file) {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            ImageReader r = ImageIO.getImageReadersByFormatName("gif").next();
            r.setInput(in);
            int n = r.getNumImages(true);
            List<BufferedImage> frames = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                frames.add(r.read(i));
            }
            r.dispose();
            return fromImages(frames, file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read gif " + file, e);
        }
    }
}
