package org.inflvg.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code inflvg} command line. Exit codes: 0 success, 2 bad usage or bad input, 1 failure at run time.
 */
@Command(name = "inflvg", mixinStandardHelpOptions = true, version = "inflvg 0.1.0",
        description = "InfLVG: context selection for long video generation, on the embedded SpriteWorld models.",
        subcommands = {DemoCommand.class, RenderCommand.class, EpsCommand.class, GenerateCommand.class, GrpoCommand.class,
            ReplayCommand.class, AuditCommand.class, InfoCommand.class,
            TrainCommand.class, BenchCommand.class, KernelCommand.class, JShellCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Builds the command line with the project's error handling (bad input is exit 2). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, line, parseResult) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof BadInputException) {
                line.getErr().println("error: " + ex.getMessage());
                return 2;
            }
            if (ex instanceof ai.djl.engine.EngineException) { // the native library did not load
                return engineFailed(ex, line.getErr());
            }
            line.getErr().println("failed: " + ex);
            if (System.getenv("INFLVG_DEBUG") != null) {
                ex.printStackTrace(line.getErr());
            }
            return 1;
        });
        return cl;
    }

    /**
     * The PyTorch native library did not load: say which one and why, and what to change. Exit 2 when the user pointed
     * DJL at a local libtorch (their setting is at fault), else 1.
     */
    static int engineFailed(Exception ex, java.io.PrintWriter err) {
        StringBuilder why = new StringBuilder();
        for (Throwable t = ex; t != null && why.length() < 600; t = t.getCause()) {
            why.append(why.length() == 0 ? "" : ": ").append(t.getMessage() == null ? t.getClass().getSimpleName()
                    : t.getMessage().split("\n")[0]);
        }
        String local = ai.djl.util.Utils.getEnvOrSystemProperty("PYTORCH_LIBRARY_PATH");
        err.println("error: the PyTorch native library did not load (" + why + ")"
                + (local == null ? "; run ./inflvg info with INFLVG_DEBUG=1 for the stack trace"
                : "; PYTORCH_LIBRARY_PATH=" + local + " (flavor " + ai.djl.util.Utils.getEnvOrSystemProperty("PYTORCH_FLAVOR",
                "not set") + ") must be the lib folder of PyTorch 2.7.1 (cpu or cu128) with its CUDA libraries "
                + "reachable; unset INFLVG_LIBTORCH to use the bundled CPU library (docs/gpu-host.md)"));
        if (System.getenv("INFLVG_DEBUG") != null) {
            ex.printStackTrace(err);
        }
        return local == null ? 1 : 2;
    }

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        System.exit(code);
    }
}
