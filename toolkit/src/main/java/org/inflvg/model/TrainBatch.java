package org.inflvg.model;

/**
 * One teacher-forcing batch: clean patch tokens of B clips of C chunks, their noise and flow times, frame offsets,
 * text ids and per-clip context dropout.
 *
 * @param batch       B
 * @param chunks      C
 * @param clean       [B, C, N, P] patch values in [-1, 1]
 * @param noise       [B, C, N, P] standard normal
 * @param t           [B, C] flow time per chunk
 * @param firstFrame  [B] frame position of each clip's first frame
 * @param textIds     [B, L] token ids (all padding = null prompt)
 * @param dropContext [B] whether the clip's noisy chunks see no earlier chunk
 */
public record TrainBatch(int batch, int chunks, float[] clean, float[] noise, float[] t, int[] firstFrame,
                         int[] textIds, boolean[] dropContext) {
}
