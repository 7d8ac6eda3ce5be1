package org.inflvg.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import java.util.Random;
import org.inflvg.model.Weights;
import org.inflvg.video.Video;

/**
 * The small convolutional network behind the learned reward models: four 3x3 convolutions (the last three with stride
 * 2, so a 32x32 frame ends as 4x4), ReLU after each, then the channel-wise mean and max over positions (so the output
 * does not depend on where the subject stands) and one linear layer. Parameters live in a {@link Weights} store under
 * a name prefix, so several networks share one file.
 */
final class ConvNet {

    private final Weights w;
    private final String p;
    private final int[] widths;

    /**
     * Creates (He-initialised) or, with {@code rnd == null}, only names the parameters of a network.
     *
     * @param in     input channels (3 for a frame, 6 for a pair of frames)
     * @param widths channels of the four convolutions
     * @param out    output features
     */
    ConvNet(Weights w, String prefix, int in, int[] widths, int out, Random rnd) {
        this.w = w;
        this.p = prefix;
        this.widths = widths.clone();
        if (rnd != null) {
            int c = in;
            for (int i = 0; i < widths.length; i++) {
                w.normal(p + "conv" + i + ".w", rnd, Math.sqrt(2.0 / (c * 9)), widths[i], c, 3, 3);
                w.constant(p + "conv" + i + ".b", 0f, widths[i]);
                c = widths[i];
            }
            w.normal(p + "out.w", rnd, Math.sqrt(1.0 / (2 * c)), 2L * c, out);
            w.constant(p + "out.b", 0f, out);
        }
    }

    /** {@code x}: (B, C, H, W) in [-1, 1]; returns (B, out). */
    NDArray forward(NDArray x) {
        NDArray h = x;
        for (int i = 0; i < widths.length; i++) {
            Shape stride = i == 0 ? new Shape(1, 1) : new Shape(2, 2);
            h = Conv2d.conv2d(h, w.get(p + "conv" + i + ".w"), w.get(p + "conv" + i + ".b"), stride, new Shape(1, 1))
                    .singletonOrThrow();
            h = Activation.relu(groupNorm(h, 8));
        }
        long b = h.getShape().get(0), c = h.getShape().get(1);
        NDArray flat = h.reshape(b, c, -1);
        NDArray pooled = NDArrays.concat(new ai.djl.ndarray.NDList(flat.mean(new int[] {2}), flat.max(new int[] {2})), 1);
        return pooled.matMul(w.get(p + "out.w")).add(w.get(p + "out.b"));
    }

    /** Group normalisation without affine parameters (statistics per sample and group of channels). */
    static NDArray groupNorm(NDArray x, int groups) {
        Shape s = x.getShape();
        NDArray g = x.reshape(s.get(0), groups, -1);
        NDArray mean = g.mean(new int[] {2}, true);
        NDArray centred = g.sub(mean);
        NDArray var = centred.square().mean(new int[] {2}, true);
        return centred.div(var.add(1e-5f).sqrt()).reshape(s);
    }

    /** Frames {@code from..to-1} of a video as a (n, 3, H, W) array scaled to [-1, 1]. */
    static NDArray frames(NDManager m, Video v, int from, int to) {
        int h = v.height(), wd = v.width(), n = to - from;
        float[] out = new float[n * 3 * h * wd];
        for (int f = 0; f < n; f++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < wd; x++) {
                    for (int c = 0; c < 3; c++) {
                        out[((f * 3 + c) * h + y) * wd + x] = v.get(from + f, y, x, c) * 2 - 1;
                    }
                }
            }
        }
        return m.create(out, new Shape(n, 3, h, wd));
    }

    /**
     * The consecutive frame pairs of a video as (n-1, 6, H, W): frame t and frame t+1 minus frame t, in [-1, 1] and
     * [-2, 2].
     */
    static NDArray pairs(NDManager m, Video v) {
        NDArray f = frames(m, v, 0, v.frameCount());
        long n = v.frameCount();
        NDArray a = f.get("0:" + (n - 1)), b = f.get("1:" + n);
        return NDArrays.concat(new ai.djl.ndarray.NDList(a, b.sub(a)), 1);
    }
}
