/**
 * Evaluation: {@link org.inflvg.bench.CsVBench}, the paper's cross-scene benchmark (identity kept across scenes, each
 * scene following its own prompt, no leakage of the previous scene's background, clean frames, and the compute each
 * selector spends), with its Tablesaw tables, XChart plots, report, resume, shards and merge; and
 * {@link org.inflvg.bench.BaseModelEvaluation}, what the base model shows on single scenes and scene switches. Scores
 * come through {@link org.inflvg.reward.Judge}; the formulas are on {@link org.inflvg.bench.CsvMetric} and in the
 * README's CsVBench section.
 */
package org.inflvg.bench;
