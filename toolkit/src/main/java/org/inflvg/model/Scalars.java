package org.inflvg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic with a Java number that is safe inside a graph recorded for gradients.
 *
 * <p>DJL's {@code x.mul(2f)} (and {@code div}, {@code pow}, {@code maximum}, {@code minimum} with a {@link Number})
 * wraps the number in a scalar tensor whose memory is a Java direct buffer ({@code torch::from_blob}), applies the op,
 * and closes the scalar at once. libtorch's autograd keeps that scalar for the backward pass (the gradient of
 * {@code x * c} is {@code grad * c}), but closing drops the Java reference to the buffer, so a garbage collection before
 * {@code backward} frees the memory the graph still points at. The backward pass then multiplies by whatever lies there:
 * gradients of 1e19, infinite or zero, rarely and depending on GC timing. The scalar made here is allocated by libtorch
 * ({@code torch::full}), so the graph's reference keeps it alive however the Java handle is closed.
 *
 * <p>Only ops whose backward reads the number need this ({@code mul}, {@code div}, {@code pow}, {@code maximum},
 * {@code minimum}); {@code add} and {@code sub} do not, and without gradients every form is safe. So is an array made
 * from Java data that stays open until after {@code backward} (TinyDiT keeps its attention scale as such a constant),
 * and so is every scalar on a GPU (DJL copies it to the device, where libtorch owns it). {@code GcPoison} in the tests
 * turns the rare failure into a certain one.
 */
public final class Scalars {

    private Scalars() {
    }

    /** {@code x * c}, safe under autograd. */
    public static NDArray mul(NDArray x, double c) {
        try (NDArray s = scalar(x, c)) {
            return x.mul(s);
        }
    }

    /** {@code x / c}, safe under autograd. */
    public static NDArray div(NDArray x, double c) {
        try (NDArray s = scalar(x, c)) {
            return x.div(s);
        }
    }

    /** A 0-d tensor holding {@code c} in x's dtype on x's device, owned by libtorch (not by a Java buffer). */
    private static NDArray scalar(NDArray x, double c) {
        return x.getManager().full(new Shape(), (float) c, x.getDataType());
    }
}
