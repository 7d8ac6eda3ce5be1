package org.inflvg.kernel;

import jdk.jshell.execution.DirectExecutionControl;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs JShell snippets in this JVM, so that a snippet's value stays an object the kernel can render, and so that
 * toolkit classes are shared with the kernel (same class loader parent).
 *
 * <p>Each snippet runs on its own daemon thread. Stopping it is a ladder, because Java has no safe way to kill a
 * thread: interrupt it (enough for sleeps, waits, I/O and toolkit loops that report {@link Progress}); after
 * {@link #FORCE_AFTER_MS} force it with {@code Thread.stop} where the JVM still allows that (Java 17–19); after
 * {@link #ABANDON_AFTER_MS} stop waiting and report that the cell did not stop, leaving its thread running so the
 * kernel can take the next cell.
 *
 * <p>Class bytes pass through {@link ExitCallRewriter} so that cell code cannot call {@code System.exit}.
 */
final class CellExecutionControl extends DirectExecutionControl {

    static final long FORCE_AFTER_MS = 1_000;
    static final long ABANDON_AFTER_MS = 5_000;

    /** How the last snippet run ended, for the evaluator to word its message. */
    enum Outcome { COMPLETED, STOPPED, ABANDONED }

    private final Map<String, Object> values = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final List<Thread> abandoned = new CopyOnWriteArrayList<>();
    private volatile Run current;
    private volatile boolean stopRequested;
    private volatile Outcome lastOutcome = Outcome.COMPLETED;
    private volatile boolean forceStopUnsupported;
    private volatile String compileOnly = "";

    /** The provider handed to {@code JShell.builder().executionEngine(...)}; it always returns {@code control}. */
    static ExecutionControlProvider providerFor(CellExecutionControl control) {
        return new ExecutionControlProvider() {
            @Override
            public String name() {
                return "inflvg-cell";
            }

            @Override
            public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
                return control;
            }
        };
    }

    @Override
    public void load(ClassBytecodes[] classes) throws ClassInstallException, NotImplementedException, EngineTerminationException {
        ClassBytecodes[] guarded = new ClassBytecodes[classes.length];
        for (int i = 0; i < classes.length; i++) {
            guarded[i] = new ClassBytecodes(classes[i].name(), ExitCallRewriter.rewrite(classes[i].bytecodes()));
        }
        super.load(guarded);
    }

    /**
     * Marks a class path whose classes this JVM's class loader already provides: JShell's next
     * {@code addToClasspath} of exactly it reaches only the compiler, so that the classes are not loaded twice.
     */
    void compileOnly(String classPath) {
        compileOnly = classPath;
    }

    @Override
    public void addToClasspath(String classPath) throws EngineTerminationException, InternalException {
        if (classPath.equals(compileOnly)) {
            compileOnly = "";
            return;
        }
        super.addToClasspath(classPath);
    }

    /** Called by the evaluator before a cell's first snippet: forgets an earlier stop request and values. */
    void beginCell() {
        stopRequested = false;
        lastOutcome = Outcome.COMPLETED;
        values.clear();
    }

    /** Called after a cell's last snippet: drops the values nobody took, so they can be collected. */
    void endCell() {
        values.clear();
    }

    boolean stopRequested() {
        return stopRequested;
    }

    Outcome lastOutcome() {
        return lastOutcome;
    }

    boolean forceStopUnsupported() {
        return forceStopUnsupported;
    }

    /** Threads of earlier cells that ignored a stop and are still running. */
    List<Thread> runningAbandoned() {
        abandoned.removeIf(t -> !t.isAlive());
        return List.copyOf(abandoned);
    }

    /** The value a snippet produced, by the key this control returned to JShell as the snippet's "value string". */
    Object takeValue(String key) {
        return key == null ? null : values.remove(key);
    }

    @Override
    protected String invoke(Method doit) throws Exception {
        if (stopRequested) {
            lastOutcome = Outcome.STOPPED;
            throw new StoppedException();
        }
        Run run = new Run(doit);
        current = run;
        try {
            run.thread.start();
            run.finished.await();
        } finally {
            current = null;
        }
        if (run.abandoned.get()) {
            lastOutcome = Outcome.ABANDONED;
            abandoned.add(run.thread);
            throw new StoppedException();
        }
        Throwable failure = run.failure;
        if (run.stopping.get() && (failure instanceof ThreadDeath || failure instanceof InterruptedException)) {
            lastOutcome = Outcome.STOPPED;
            throw new StoppedException();
        }
        if (failure != null) {
            throw new InvocationTargetException(failure);   // JShell turns it into an EvalException with the cell's frames
        }
        if (run.value == null) {
            return "null";
        }
        String key = "value#" + ids.incrementAndGet();
        values.put(key, run.value);
        return key;
    }

    /** JShell's stop(), called from the control channel's thread while a cell runs. */
    @Override
    public void stop() {
        stopRequested = true;
        Run run = current;
        if (run == null || !run.stopping.compareAndSet(false, true)) {
            return;
        }
        run.thread.interrupt();
        Thread watchdog = new Thread(() -> escalate(run), "inflvg-cell-stopper");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    private void escalate(Run run) {
        try {
            if (run.finished.await(FORCE_AFTER_MS, TimeUnit.MILLISECONDS)) {
                return;
            }
            forceStop(run.thread);
            if (!run.finished.await(ABANDON_AFTER_MS - FORCE_AFTER_MS, TimeUnit.MILLISECONDS)) {
                run.abandoned.set(true);
                run.finished.countDown();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @SuppressWarnings({"removal", "deprecation"})
    private void forceStop(Thread thread) {
        try {
            thread.stop();   // works up to Java 19; Java 20 and later throw
        } catch (UnsupportedOperationException e) {
            forceStopUnsupported = true;
        }
    }

    /** One snippet's run on its own thread. */
    private static final class Run {
        final Thread thread;
        final CountDownLatch finished = new CountDownLatch(1);
        final AtomicBoolean stopping = new AtomicBoolean();
        final AtomicBoolean abandoned = new AtomicBoolean();
        volatile Object value;
        volatile Throwable failure;

        Run(Method doit) {
            thread = new Thread(() -> {
                try {
                    value = doit.invoke(null);
                } catch (InvocationTargetException e) {
                    failure = e.getCause();
                } catch (Throwable e) {   // ThreadDeath when forced outside the snippet's own frames
                    failure = e;
                } finally {
                    finished.countDown();
                }
            }, "inflvg-cell");
            thread.setDaemon(true);
            thread.setContextClassLoader(doit.getDeclaringClass().getClassLoader());
        }
    }
}
