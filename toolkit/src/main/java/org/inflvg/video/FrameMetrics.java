package org.inflvg.video;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;

/**
 * Frame metrics through OpenCV, defined for small frames (32x32) and used by the artifact reward and CsVBench.
 * All take values in [0, 1] per channel; native memory is released per call (a pointer scope).
 */
public final class FrameMetrics {

    private FrameMetrics() {
    }

    /** Grey frame (BT.601 luma) as a 32-bit float Mat in [0, 1]. */
    private static Mat grey(Video v, int f) {
        Mat m = new Mat(v.height(), v.width(), opencv_core.CV_32FC1);
        var idx = m.<org.bytedeco.javacpp.indexer.FloatIndexer>createIndexer();
        for (int y = 0; y < v.height(); y++) {
            for (int x = 0; x < v.width(); x++) {
                idx.put(y, x, 0.299f * v.get(f, y, x, 0) + 0.587f * v.get(f, y, x, 1) + 0.114f * v.get(f, y, x, 2));
            }
        }
        idx.release();
        return m;
    }

    private static Mat rgb8(Video v, int f) {
        Mat m = new Mat(v.height(), v.width(), opencv_core.CV_8UC3);
        var idx = m.<org.bytedeco.javacpp.indexer.UByteIndexer>createIndexer();
        for (int y = 0; y < v.height(); y++) {
            for (int x = 0; x < v.width(); x++) {
                for (int c = 0; c < 3; c++) {
                    idx.put(y, x, c, Math.round(v.get(f, y, x, c) * 255));
                }
            }
        }
        idx.release();
        return m;
    }

    /** Sharpness: variance of the Laplacian (3x3) of the grey frame. Blur lowers it. */
    public static double sharpness(Video v, int f) {
        try (PointerScope scope = new PointerScope()) {
            Mat lap = new Mat();
            opencv_imgproc.Laplacian(grey(v, f), lap, opencv_core.CV_32F);
            Mat mean = new Mat(), std = new Mat();
            opencv_core.meanStdDev(lap, mean, std);
            double s = std.createIndexer() instanceof org.bytedeco.javacpp.indexer.DoubleIndexer d ? d.get(0) : 0;
            return s * s;
        }
    }

    /** Mean sharpness over all frames. */
    public static double meanSharpness(Video v) {
        double s = 0;
        for (int f = 0; f < v.frameCount(); f++) {
            s += sharpness(v, f);
        }
        return s / v.frameCount();
    }

    /** Temporal flicker: mean absolute difference of consecutive frames (all channels), in [0, 1]; 0 for one frame. */
    public static double flicker(Video v) {
        if (v.frameCount() < 2) {
            return 0;
        }
        double s = 0;
        try (PointerScope scope = new PointerScope()) {
            for (int f = 1; f < v.frameCount(); f++) {
                Mat d = new Mat();
                opencv_core.absdiff(rgb8(v, f), rgb8(v, f - 1), d);
                Scalar m = opencv_core.mean(d);
                s += (m.get(0) + m.get(1) + m.get(2)) / 3 / 255;
            }
        }
        return s / (v.frameCount() - 1);
    }

    /** Noise level: mean absolute difference between the grey frame and its 3x3 median, in [0, 1]. */
    public static double noiseLevel(Video v, int f) {
        try (PointerScope scope = new PointerScope()) {
            Mat g = rgb8(v, f), grey8 = new Mat(), med = new Mat(), d = new Mat();
            opencv_imgproc.cvtColor(g, grey8, opencv_imgproc.COLOR_RGB2GRAY);
            opencv_imgproc.medianBlur(grey8, med, 3);
            opencv_core.absdiff(grey8, med, d);
            return opencv_core.mean(d).get(0) / 255;
        }
    }

    /**
     * Colour histogram distance of two frames: Bhattacharyya distance of 8x8x8 RGB histograms, in [0, 1] (0 = same
     * colour distribution).
     */
    public static double histogramDistance(Video a, int fa, Video b, int fb) {
        try (PointerScope scope = new PointerScope()) {
            Mat ha = hist(rgb8(a, fa)), hb = hist(rgb8(b, fb));
            return Math.max(0, Math.min(1, opencv_imgproc.compareHist(ha, hb, opencv_imgproc.HISTCMP_BHATTACHARYYA)));
        }
    }

    private static Mat hist(Mat img) {
        Mat h = new Mat();
        opencv_imgproc.calcHist(new org.bytedeco.opencv.opencv_core.MatVector(img), new org.bytedeco.javacpp.IntPointer(0, 1, 2),
                new Mat(), h, new org.bytedeco.javacpp.IntPointer(8, 8, 8),
                new org.bytedeco.javacpp.FloatPointer(0f, 256f, 0f, 256f, 0f, 256f), false);
        opencv_core.normalize(h, h, 1, 0, opencv_core.NORM_L1, -1, new Mat());
        return h;
    }

    /**
     * Blockiness (mosaic artifacts): mean absolute grey step across the borders of a {@code block}-pixel grid divided
     * by the mean step inside blocks (plus 1/255). About 1 for natural content, large for a mosaic of flat blocks.
     */
    public static double blockiness(Video v, int f, int block) {
        double border = 0, inside = 0;
        int nb = 0, ni = 0;
        for (int y = 0; y < v.height(); y++) {
            for (int x = 1; x < v.width(); x++) {
                double d = 0;
                for (int c = 0; c < 3; c++) {
                    d += Math.abs(v.get(f, y, x, c) - v.get(f, y, x - 1, c)) / 3;
                }
                if (x % block == 0) {
                    border += d;
                    nb++;
                } else {
                    inside += d;
                    ni++;
                }
            }
        }
        return (border / Math.max(1, nb)) / (inside / Math.max(1, ni) + 1 / 255.0);
    }
}
