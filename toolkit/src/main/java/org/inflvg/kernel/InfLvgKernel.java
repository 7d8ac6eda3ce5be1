package org.inflvg.kernel;

import org.dflib.jjava.jupyter.channels.ShellReplyEnvironment;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.LanguageInfo;
import org.dflib.jjava.jupyter.kernel.ReplacementOptions;
import org.dflib.jjava.jupyter.kernel.comm.CommManager;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.magic.LineMagic;
import org.dflib.jjava.jupyter.kernel.magic.MagicsRegistry;
import org.dflib.jjava.jupyter.kernel.magic.UndefinedMagicException;
import org.dflib.jjava.jupyter.kernel.util.StringStyler;
import org.dflib.jjava.jupyter.kernel.util.TextColor;
import org.dflib.jjava.jupyter.messages.Message;
import org.dflib.jjava.jupyter.messages.publish.PublishError;
import org.dflib.jjava.jupyter.messages.publish.PublishExecuteInput;
import org.dflib.jjava.jupyter.messages.publish.PublishExecuteResult;
import org.dflib.jjava.jupyter.messages.reply.ErrorReply;
import org.dflib.jjava.jupyter.messages.reply.ExecuteReply;
import org.dflib.jjava.jupyter.messages.request.ExecuteRequest;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The InfLVG Jupyter kernel: jjava's protocol handling with our own JShell layer ({@link CellEvaluator}).
 *
 * <p>JShell starts on a background thread while Jupyter connects, so the first cell waits only for what is left of
 * that start. Cells run one at a time on the shell channel's thread; {@link #interrupt()} arrives on the control
 * channel's thread while a cell runs.
 */
public final class InfLvgKernel extends BaseKernel {

    static final String VERSION = "0.1.0";

    private static volatile InfLvgKernel running;

    private final KernelIO kernelIO;
    private final String classPath;
    private final String startupScript;
    private final CompletableFuture<CellEvaluator> evaluator = new CompletableFuture<>();
    private volatile CellEvaluator cells;   // set as soon as JShell exists, before the startup script runs
    private volatile List<String> startupProblems = List.of();
    private volatile boolean cellRunning;
    /** The process's stderr, which Jupyter logs; System.err belongs to the running cell while one runs. */
    private final PrintStream log = System.err;

    InfLvgKernel(String classPath, String startupScript) {
        this(new KernelIO(), classPath, startupScript);
    }

    private InfLvgKernel(KernelIO io, String classPath, String startupScript) {
        super("inflvg", VERSION, languageInfo(), List.of(), null, io, new CommManager(), new Renderer(), null,
                magics(), true, errorStyler());
        this.kernelIO = io;
        this.classPath = classPath;
        this.startupScript = startupScript;
        Renderers.registerAll(renderer);
    }

    /** The kernel serving this JVM's notebook, or null outside a kernel. */
    static InfLvgKernel running() {
        return running;
    }

    /** The startup script bundled with the kernel ({@code kernel-config/startup.jsh}). */
    static String bundledStartupScript() {
        try (InputStream in = InfLvgKernel.class.getResourceAsStream("startup.jsh")) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static LanguageInfo languageInfo() {
        return new LanguageInfo.Builder("java")
                .version(Runtime.version().toString())
                .mimetype("text/x-java-source")
                .fileExtension(".jshell")
                .pygments("java")
                .codemirror("text/x-java")
                .build();
    }

    private static StringStyler errorStyler() {
        return new StringStyler.Builder()
                .addPrimaryStyle(TextColor.BOLD_RESET_FG)
                .addSecondaryStyle(TextColor.BOLD_RED_FG)
                .addHighlightStyle(TextColor.BOLD_RESET_FG)
                .build();
    }

    private static MagicsRegistry magics() {
        MagicsRegistry registry = new MagicsRegistry();
        LineMagic<Object, InfLvgKernel> classpath = (kernel, args) -> Magics.classpath(kernel.cells, args);
        LineMagic<Object, InfLvgKernel> jars = (kernel, args) -> Magics.jars(kernel.cells, args);
        LineMagic<Object, InfLvgKernel> load = (kernel, args) -> Magics.load(kernel.cells, args);
        registry.registerLineMagic("classpath", classpath);
        registry.registerLineMagic("jars", jars);
        registry.registerLineMagic("load", load);
        return registry;
    }

    // ---------------------------------------------------------------- life cycle

    @Override
    public void onStartup() {
        super.onStartup();
        running = this;
        ProgressSink.install(new NotebookProgressSink(this));
        Thread starter = new Thread(this::startJShell, "inflvg-jshell-start");
        starter.setDaemon(true);
        starter.start();
    }

    private void startJShell() {
        try {
            CellEvaluator started = new CellEvaluator(classPath, this::runMagic);
            cells = started;
            List<String> problems = started.evalStartup(startupScript, "startup.jsh");
            started.warmUp();
            startupProblems = problems;
            evaluator.complete(started);
            log.printf(Locale.ROOT, "inflvg kernel: JShell ready %.1f s after the JVM started%n", secondsSinceJvmStart());
            problems.forEach(p -> log.println("inflvg kernel: startup.jsh: " + p));
        } catch (Throwable e) {
            log.println("inflvg kernel: JShell did not start: " + e);
            evaluator.completeExceptionally(e);
        }
    }

    static double secondsSinceJvmStart() {
        return (System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime()) / 1000.0;
    }

    /** Blocks until JShell has started; the first cell of a session usually waits here. */
    CellEvaluator evaluator() {
        try {
            return evaluator.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new CellError("KernelStartFailed", "JShell did not start: " + cause,
                    List.of("KernelStartFailed: JShell did not start: " + cause,
                            "Check the kernel's log (the terminal running Jupyter) and restart the kernel."));
        }
    }

    @Override
    public void onShutdown(boolean restarting) {
        CellEvaluator started = evaluator.getNow(null);
        if (started != null) {
            started.close();
        }
        ProgressSink.install(null);
        running = null;
        super.onShutdown(restarting);
    }

    @Override
    public void interrupt() {
        CellEvaluator started = evaluator.getNow(null);
        if (started != null && cellRunning) {
            started.interrupt();
        }
    }

    // ---------------------------------------------------------------- execution

    @Override
    protected synchronized void handleExecuteRequest(ShellReplyEnvironment env, Message<ExecuteRequest> message) {
        commManager.setMessageContext(message);
        ExecuteRequest request = message.getContent();
        int count = executionCount.getAndIncrement();
        env.setBusyDeferIdle();
        env.publish(new PublishExecuteInput(request.getCode(), count));
        replaceOutputStreams(env);
        kernelIO.attach(env, request.isStdinEnabled());
        env.defer(() -> kernelIO.detach(env));
        try {
            DisplayData out = evalCell(request.getCode(), count);
            if (out != null) {
                env.publish(new PublishExecuteResult(count, out));
            }
            env.defer().reply(new ExecuteReply(count, Collections.emptyMap()));
        } catch (CellError e) {
            replyError(env, count, e.ename(), e.evalue(), e.traceback());
        } catch (Throwable e) {   // the kernel's own failure: say so and stay up
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            List<String> lines = new ArrayList<>();
            lines.add("The kernel failed while running this cell (not the cell's fault): " + e);
            trace.toString().lines().skip(1).limit(30).forEach(lines::add);
            replyError(env, count, e.getClass().getSimpleName(), String.valueOf(e.getMessage()), lines);
        }
    }

    private void replyError(ShellReplyEnvironment env, int count, String ename, String evalue, List<String> traceback) {
        ErrorReply error = new ErrorReply(ename, evalue, traceback);
        error.setExecutionCount(count);
        env.publish(new PublishError(ename, evalue, traceback));
        env.defer().replyError(ExecuteReply.MESSAGE_TYPE.error(), error);
    }

    private DisplayData evalCell(String code, int count) {
        CellEvaluator cells = evaluator();
        List<String> problems = startupProblems;
        if (!problems.isEmpty()) {
            startupProblems = List.of();
            System.err.println("Warning: the startup script had problems; what it imports may be missing:");
            problems.forEach(p -> System.err.println("  " + p));
        }
        cellRunning = true;
        Object value;
        try {
            value = cells.evalCell(code, "In[" + count + "]");
        } finally {
            cellRunning = false;
        }
        return value == null ? null : render(value);
    }

    /** Renders through the registered renderers; a renderer that fails falls back to the value's text. */
    DisplayData render(Object value) {
        if (value instanceof DisplayData data) {
            return data;
        }
        try {
            return renderer.render(value);
        } catch (RuntimeException e) {
            System.err.println("Warning: could not render " + value.getClass().getName() + " (" + e + "); showing its text.");
            return new DisplayData(String.valueOf(value));
        }
    }

    private Object runMagic(String name, List<String> args) throws Exception {
        try {
            return magicsRegistry.evalLineMagic(this, name, args);
        } catch (UndefinedMagicException e) {
            throw new IllegalArgumentException("there is no line magic %" + name + "; this kernel has "
                    + magicsRegistry.getLineMagicNames().stream().sorted().map(n -> "%" + n).toList());
        }
    }

    @Override
    public Object evalRaw(String source) {
        if (cellRunning) {
            throw new IllegalStateException("eval(...) cannot run from inside a cell: JShell is busy with that cell. "
                    + "Put the code in the cell itself.");
        }
        return evaluator().evalCell(source, "eval");
    }

    // ---------------------------------------------------------------- editor support

    @Override
    public DisplayData inspect(String code, int at, boolean extraDetail) {
        String text = evaluator().inspect(code, at, extraDetail);
        return text == null ? null : new DisplayData(text);
    }

    @Override
    public ReplacementOptions complete(String code, int at) {
        CellEvaluator.Completion completion = evaluator().complete(code, at, magicsRegistry.getLineMagicNames());
        return new ReplacementOptions(completion.options(), completion.start(), completion.end());
    }

    @Override
    public String isComplete(String code) {
        return evaluator().isComplete(code);
    }

    // ---------------------------------------------------------------- start-up

    /** Reads the startup script: {@code -Dinflvg.kernel.startup=FILE} when given, else the bundled one. */
    static String startupScript() {
        String file = System.getProperty("inflvg.kernel.startup");
        if (file == null || file.isBlank()) {
            return bundledStartupScript();
        }
        try {
            return Files.readString(Path.of(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the startup script " + file
                    + " (named by -Dinflvg.kernel.startup): " + e.getMessage(), e);
        }
    }
}
