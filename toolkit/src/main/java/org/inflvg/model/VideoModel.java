package org.inflvg.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * What InfLVG needs of a chunk-wise autoregressive video model: its sizes, a text encoder, the velocity of one chunk
 * attending to a kept context, and the chunk's own keys and values for the {@link KvCache}. The cache stays on the Java
 * side, so selectors and the policy work unchanged on any implementation: {@link TinyDiT} (the embedded model, in Java)
 * and {@link TorchScriptVideoModel} (a TorchScript module run by DJL's PyTorch engine, e.g. an exported TinyDiT or the
 * paper's base model). The tensor contract is written in {@code docs/external-models.md}.
 *
 * <p>Every array an implementation returns lives in the manager it was given (or in the manager of {@code h} for
 * {@link #keyProjection}), so closing that manager frees the call.
 */
public interface VideoModel extends AutoCloseable {

    /** Every size of the model (tokens per chunk, width, layers, heads, text length, frames, Euler steps). */
    ModelConfig config();

    /** A short name for tables and records, e.g. {@code tinydit} or {@code torchscript:tinydit-ts.pt}. */
    String name();

    /** SHA-256 of the file the weights were loaded from, or null for a model made in memory. */
    String checksum();

    /** The device the weights live on; every array of a call must be created on it. */
    Device device();

    /** Token ids [L] of a prompt (errors on unknown words). */
    int[] tokenize(String prompt);

    /** Text tokens [batch, L, d] and pooled text [batch, d] of token ids [batch * L], in {@code m}. */
    NDArray[] text(NDManager m, int[] ids, int batch);

    /**
     * Velocity of chunk tokens {@code x} [S, N, P] at flow times {@code t[S]} for the chunk starting at frame
     * {@code firstFrame}, attending to the kept context {@code ctx} (null or no tokens for none) and to text [S or 1,
     * L, d] / pooled [S or 1, d]. When {@code kvOut} is not null, the chunk's own keys (after positional encoding),
     * values and scaled queries per layer, each [S, H, N, hd], are appended to it as {@code {k, v, q}}.
     */
    NDArray velocity(NDManager m, NDArray x, float[] t, int firstFrame, NDArray[] text, Context ctx,
                     List<NDArray[]> kvOut);

    /** Keys that layer {@code layer}'s self-attention gives hidden states {@code h} [.., d], heads merged, no RoPE. */
    NDArray keyProjection(int layer, NDArray h);

    @Override
    void close();

    /** Gathered context for one chunk: per layer keys and values [1 or S, H, M, hd] (M kept tokens, any order). */
    interface Context {
        int tokens();

        NDArray keys(int layer);

        NDArray values(int layer);

        /**
         * Whether the model should report the attention this context receives ({@link #attended}); false unless an
         * {@link AttentionProbe} is attached to the cache, so models skip the extra work.
         */
        default boolean recordsAttention() {
            return false;
        }

        /**
         * Reports the share of attention each of the context's {@link #tokens()} kept tokens received at one call of
         * layer {@code layer}: {@code share} is [tokens()], averaged over rows, heads and queries, softmax over the
         * whole context (kept tokens and the chunk itself). Only called when {@link #recordsAttention()}.
         */
        default void attended(int layer, NDArray share) {
        }
    }
}
