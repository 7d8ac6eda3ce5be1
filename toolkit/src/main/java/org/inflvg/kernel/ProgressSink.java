package org.inflvg.kernel;

/**
 * Where {@link Progress} reports go. The Jupyter kernel installs one that keeps a single updating line per task in
 * the cell's output; without a kernel the sink does nothing, so library code can always report.
 */
@FunctionalInterface
public interface ProgressSink {

    /** Does nothing: the sink in effect until someone installs another. */
    ProgressSink NONE = progress -> { };

    /**
     * Called when a task starts, when it advanced (at most about ten times a second) and once when it finished
     * ({@link Progress#finished()}). Runs on the thread doing the work, so it must be quick.
     */
    void update(Progress progress);

    /** Makes {@code sink} receive every report from now on (null restores {@link #NONE}). */
    static void install(ProgressSink sink) {
        Progress.installSink(sink == null ? NONE : sink);
    }

    /** The sink in effect. */
    static ProgressSink installed() {
        return Progress.installedSink();
    }
}
