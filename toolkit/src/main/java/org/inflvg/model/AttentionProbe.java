package org.inflvg.model;

import java.util.Arrays;

/**
 * Attention actually paid to cached tokens while chunks are generated, recorded only when asked for
 * ({@code Story.recordAttention(true)}; a cache without a probe records nothing and costs nothing).
 *
 * <p>At every attention call over a chunk's context — every Euler denoising step and the clean pass, every layer — the
 * model hands the probe the share of attention each context token received, averaged over rows, heads and the chunk's
 * queries (softmax over the whole context: kept history, the scene's earlier chunks and the chunk itself). The probe
 * sums those shares per cache token and counts the calls, so {@link #meanShare} is the token's mean share of one
 * query's attention over everything recorded since {@link #reset}. Rows: with classifier-free guidance the
 * null-prompt row is averaged in too.
 *
 * <p>Recording reads one small array from the device per layer and step (a sync on a GPU): use it for diagnosis, not
 * in benchmarks. Models that cannot expose their attention probabilities (the TorchScript one) record nothing; then
 * {@link #calls} stays 0.
 */
public final class AttentionProbe {

    private double[] sum = new double[0];
    private long calls;

    /** Adds one attention call: {@code share[j]} went to cache token {@code tokens[j]}. */
    public void record(int[] tokens, float[] share) {
        if (tokens.length != share.length) {
            throw new IllegalArgumentException(tokens.length + " tokens but " + share.length + " shares");
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] >= sum.length) {
                sum = Arrays.copyOf(sum, Math.max(tokens[i] + 1, sum.length * 2));
            }
            sum[tokens[i]] += share[i];
        }
        calls++;
    }

    /** Attention calls recorded since the last reset (layers × steps × chunks). */
    public long calls() {
        return calls;
    }

    /** Mean share of attention cache token {@code token} received per recorded call (0 if never in a context). */
    public double meanShare(int token) {
        return calls == 0 || token >= sum.length ? 0 : sum[token] / calls;
    }

    /** Forgets everything recorded. */
    public void reset() {
        sum = new double[0];
        calls = 0;
    }
}
