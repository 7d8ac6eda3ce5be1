package org.inflvg.model;

/**
 * Switches libtorch's gradient recording off on this thread for a scope. Grad mode is per thread: DJL turns it off only
 * on the thread that loaded the engine, so a notebook's or a worker's thread records graphs (and refuses in-place
 * updates of trainable weights) unless told otherwise.
 */
public final class NoGrad implements AutoCloseable {

    private final boolean was;

    public NoGrad() {
        was = ai.djl.pytorch.jni.JniUtils.isGradMode();
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
    }

    @Override
    public void close() {
        ai.djl.pytorch.jni.JniUtils.setGradMode(was);
    }
}
