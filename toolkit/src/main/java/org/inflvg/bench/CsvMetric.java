package org.inflvg.bench;

/**
 * The measurements CsVBench keeps for every scene of every story. Quality metrics come from a
 * {@link org.inflvg.reward.Judge}; compute metrics from the story itself. A <i>transition</i> metric is measured on
 * scenes 2..N only (it compares a scene with what came before) and is missing on scene 1. Formulas (scene
 * {@code s} with frames {@code x_1..x_F}, prompt {@code P_s}, background probabilities {@code p_f = judge
 * .backgroundProbabilities(x_f)}):
 */
public enum CsvMetric {
    /** {@code judge.alignment(scene, P_s)}: does the scene follow its own prompt. */
    ALIGNMENT("alignment", Kind.QUALITY, false),
    /** {@code judge.identity(scene, all frames of scenes 1..s-1)}: is it still the same individual (scene >= 2). */
    IDENTITY("identity", Kind.QUALITY, true),
    /**
     * Background leakage (scene >= 2): {@code mean_f p_f(background of P_{s-1})} when that background differs from
     * {@code P_s}'s; missing when the two prompts share a background. Lower is better.
     */
    LEAKAGE("leakage", Kind.QUALITY, true),
    /** {@code judge.subjectConsistency(scene)}: the subject stays the same within the scene. */
    SUBJECT_CONSISTENCY("subject_consistency", Kind.QUALITY, false),
    /** Background consistency within the scene: {@code mean_{f=1..F-1} (1 - ½ ||p_f - p_{f+1}||_1)}. */
    BACKGROUND_CONSISTENCY("background_consistency", Kind.QUALITY, false),
    /** Temporal flicker: {@link org.inflvg.video.FrameMetrics#flicker}, the mean absolute consecutive-frame difference. Lower is better. */
    FLICKER("flicker", Kind.QUALITY, false),
    /** {@code judge.artifact(scene)}: cleanliness, higher is cleaner. */
    ARTIFACT("artifact", Kind.QUALITY, false),
    /** Hybrid reward (scene >= 2): {@code w_align * alignment + w_artifact * artifact + w_identity * identity}. */
    HYBRID("hybrid", Kind.SCORE, true),
    /** History tokens kept by the selection for this scene's chunks (scene >= 2; scene 1 has no history). */
    KEPT_TOKENS("kept_tokens", Kind.COMPUTE, true),
    /** Tokens attended per chunk, mean over the scene's chunks (kept history + the scene's own earlier chunks). */
    CONTEXT_TOKENS("context_tokens", Kind.COMPUTE, false),
    /** Wall milliseconds per chunk, mean over the scene's chunks (not reproducible: excluded from equality checks). */
    MS_PER_CHUNK("ms_per_chunk", Kind.COMPUTE, false),
    /** Native bytes of keys and values held by the KV cache after the scene (all layers, at its capacity). */
    KV_CACHE_BYTES("kv_cache_bytes", Kind.COMPUTE, false),
    /** Bytes of keys and values a chunk attends to: {@code context_tokens * 2 * depth * dim * 4}. */
    KV_ATTENDED_BYTES("kv_attended_bytes", Kind.COMPUTE, false);

    /** What a metric measures: a judge's [0, 1] quality score, the weighted sum of scores, or compute. */
    public enum Kind { QUALITY, SCORE, COMPUTE }

    private final String column;
    private final Kind kind;
    private final boolean transition;

    CsvMetric(String column, Kind kind, boolean transition) {
        this.column = column;
        this.kind = kind;
        this.transition = transition;
    }

    /** The column name in the results and summary tables. */
    public String column() {
        return column;
    }

    public Kind kind() {
        return kind;
    }

    /** Whether the metric exists on scenes 2..N only. */
    public boolean transition() {
        return transition;
    }

    /** Whether two runs with the same seeds give the same value (every metric but wall time). */
    public boolean reproducible() {
        return this != MS_PER_CHUNK;
    }
}
