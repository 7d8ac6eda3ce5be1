package org.inflvg;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.inflvg.model.Weights;

/**
 * Provokes the failure {@link org.inflvg.model.Scalars} guards against: between a forward pass and its backward pass,
 * collect garbage (DJL's closed Java buffers are freed) and fill the freed small blocks with NaN. A graph that still
 * points at a freed Java buffer then computes garbage gradients, every time instead of once in a thousand steps.
 */
public final class GcPoison {

    private static final List<ByteBuffer> HELD = new ArrayList<>();

    private GcPoison() {
    }

    /** Collects garbage, waits for the freed direct buffers' cleaners, and overwrites small freed blocks with NaN. */
    public static synchronized void collectAndOverwrite() {
        HELD.clear();
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(40);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (int i = 0; i < 200_000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
            b.putFloat(0, Float.NaN);
            HELD.add(b);
        }
    }

    /**
     * The largest absolute difference, over every parameter of {@code w}, between the gradient of {@code loss} computed
     * as usual and computed with {@link #collectAndOverwrite} between the forward and the backward pass (NaN or
     * infinite when the poisoned gradient is). 0 when the graph holds on to everything it needs.
     */
    public static double gradientChange(Weights w, NDManager root, Function<NDManager, NDArray> loss) {
        Map<String, float[]> plain = gradients(w, root, loss, false), poisoned = gradients(w, root, loss, true);
        double worst = 0, total = 0;
        for (var e : plain.entrySet()) {
            float[] a = e.getValue(), b = poisoned.get(e.getKey());
            for (int i = 0; i < a.length; i++) {
                if (!Float.isFinite(a[i])) {
                    throw new IllegalStateException("the loss's own gradient is not finite (" + e.getKey() + "): "
                            + "choose inputs that keep it finite, or the comparison means nothing");
                }
                total += Math.abs(a[i]);
                double d = Math.abs((double) a[i] - b[i]);
                if (!(d <= worst)) {
                    worst = d;
                }
            }
        }
        if (total == 0) {
            throw new IllegalStateException("the loss's gradient is zero everywhere: the comparison means nothing");
        }
        return worst;
    }

    private static Map<String, float[]> gradients(Weights w, NDManager root, Function<NDManager, NDArray> loss,
                                                  boolean poison) {
        w.requireGradients();
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        try (NDManager m = root.newSubManager()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = loss.apply(m);
                if (poison) {
                    collectAndOverwrite();
                }
                gc.backward(l);
            }
            for (var e : w.all().entrySet()) {
                try (NDArray g = e.getValue().getGradient()) {
                    out.put(e.getKey(), g.toFloatArray());
                    g.set(new ai.djl.ndarray.index.NDIndex("..."), 0);
                }
            }
        }
        return out;
    }
}
