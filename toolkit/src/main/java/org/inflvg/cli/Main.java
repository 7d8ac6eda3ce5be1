package org.inflvg.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code inflvg} command line. Exit codes: 0 success, 2 bad usage or bad input, 1 failure at run time.
 */
@Command(name = "inflvg", mixinStandardHelpOptions = true, version = "inflvg 0.1.0",
        description = "InfLVG: context selection for long video generation, on the embedded SpriteWorld models.",
        subcommands = {DemoCommand.class, RenderCommand.class, EpsCommand.class, GenerateCommand.class, GrpoCommand.class,
            ReplayCommand.class, AuditCommand.class,
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
            line.getErr().println("failed: " + ex);
            if (System.getenv("INFLVG_DEBUG") != null) {
                ex.printStackTrace(line.getErr());
            }
            return 1;
        });
        return cl;
    }

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        System.exit(code);
    }
}
