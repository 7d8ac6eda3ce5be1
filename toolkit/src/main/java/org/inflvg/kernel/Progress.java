package org.inflvg.kernel;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A task's progress: {@code done} of {@code total} units, reported to the installed {@link ProgressSink}.
 *
 * <pre>{@code
 * try (Progress p = Progress.start("generate", chunks)) {
 *     for (int i = 0; i < chunks; i++) {
 *         generateChunk(i);
 *         p.step();          // reports, and stops the loop if the cell was interrupted
 *     }
 * }
 * }</pre>
 *
 * <p>{@link #step()} is also where long work honours interrupts: when the working thread was interrupted (the notebook's
 * stop button) it throws {@link CancellationException}, so a loop that reports progress can always be stopped.
 */
public final class Progress implements AutoCloseable {

    private static volatile ProgressSink sink = ProgressSink.NONE;
    private static final long REPORT_EVERY_NANOS = 100_000_000L;

    private final String label;
    private final long total;
    private final long startNanos;
    private final ProgressSink target;
    private final AtomicLong done = new AtomicLong();
    private volatile boolean finished;
    private long lastReportNanos;

    private Progress(String label, long total, ProgressSink target) {
        this.label = label;
        this.total = total;
        this.target = target;
        this.startNanos = System.nanoTime();
        this.lastReportNanos = startNanos;
    }

    /**
     * Starts reporting a task of {@code total} units ({@code total <= 0}: the total is unknown) to the installed sink.
     */
    public static Progress start(String label, long total) {
        if (label == null || label.isBlank()) {
            throw new IllegalArgumentException("a progress label names the task, e.g. \"generate\"; got " +
                    (label == null ? "null" : "a blank string"));
        }
        Progress progress = new Progress(label, total, sink);
        progress.target.update(progress);
        return progress;
    }

    /** Adds one finished unit. */
    public void step() {
        step(1);
    }

    /**
     * Adds {@code units} finished units and reports when enough time passed since the last report.
     *
     * @throws CancellationException when the current thread was interrupted: the work should stop
     */
    public void step(long units) {
        if (Thread.currentThread().isInterrupted()) {
            throw new CancellationException(label + " was interrupted after " + describeCount());
        }
        long doneNow = done.addAndGet(units);
        long now = System.nanoTime();
        if (now - lastReportNanos >= REPORT_EVERY_NANOS || (total > 0 && doneNow >= total && doneNow - units < total)) {
            lastReportNanos = now;
            target.update(this);
        }
    }

    /** Marks the task finished and reports once more; calling it again does nothing. */
    @Override
    public void close() {
        if (!finished) {
            finished = true;
            target.update(this);
        }
    }

    public String label() {
        return label;
    }

    public long done() {
        return done.get();
    }

    /** The number of units, or 0 or less when unknown. */
    public long total() {
        return total;
    }

    public boolean finished() {
        return finished;
    }

    public Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /** The fraction done in [0, 1], or -1 when the total is unknown. */
    public double fraction() {
        return total > 0 ? Math.min(1.0, (double) done.get() / total) : -1;
    }

    /** One line: {@code generate 40/100 (40%) 3.1 s}, with {@code done} when finished. */
    @Override
    public String toString() {
        String seconds = String.format(Locale.ROOT, "%.1f s", elapsed().toMillis() / 1000.0);
        return label + " " + describeCount() + " " + seconds + (finished ? " done" : "");
    }

    private String describeCount() {
        return total > 0
                ? String.format(Locale.ROOT, "%d/%d (%d%%)", done.get(), total, Math.round(100 * fraction()))
                : done.get() + " units";
    }

    static void installSink(ProgressSink newSink) {
        sink = newSink;
    }

    static ProgressSink installedSink() {
        return sink;
    }
}
