package org.inflvg.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code inflvg jshell}: the JDK's jshell with the toolkit on its class path and the kernel's startup imports. */
@Command(name = "jshell", mixinStandardHelpOptions = true,
        description = {"Starts the JDK's jshell with the toolkit on the class path and the InfLVG startup script "
                + "(the imports the notebook kernel has).",
                "Example: ./inflvg jshell   or   ./inflvg jshell -- script.jsh"})
public final class JShellCommand implements Callable<Integer> {

    private static final List<String> FORWARDED_PROPERTIES = List.of(
            "java.awt.headless", "inflvg.home", "ai.djl.pytorch.num_threads", "ai.djl.pytorch.num_interop_threads");

    @Parameters(paramLabel = "JSHELL_ARG", arity = "0..*", description = "Passed on to jshell (after --), e.g. a script.")
    List<String> jshellArgs = new ArrayList<>();

    @Override
    public Integer call() throws IOException, InterruptedException {
        Path javaHome = Path.of(System.getProperty("java.home"));
        Path jshell = javaHome.resolve("bin").resolve(
                System.getProperty("os.name").toLowerCase().contains("win") ? "jshell.exe" : "jshell");
        if (!Files.isExecutable(jshell)) {
            throw new BadInputException("there is no jshell in " + javaHome.resolve("bin")
                    + ": InfLVG needs a full JDK (17 or later), not just a JRE; point JAVA_HOME/PATH at one");
        }
        List<String> command = new ArrayList<>(List.of(jshell.toString(),
                "--class-path", System.getProperty("java.class.path"),
                "--startup", startupFile().toString()));
        for (String name : FORWARDED_PROPERTIES) {
            String value = System.getProperty(name);
            if (value != null) {
                command.add("-R-D" + name + "=" + value);
            }
        }
        command.addAll(jshellArgs);
        Process process = new ProcessBuilder(command).inheritIO().start();
        return process.waitFor();
    }

    /** The checkout's kernel-config/startup.jsh, or the copy bundled in the jar written to a temporary file. */
    private static Path startupFile() throws IOException {
        String home = System.getProperty("inflvg.home");
        if (home != null) {
            Path file = Path.of(home, "kernel-config", "startup.jsh");
            if (Files.isRegularFile(file)) {
                return file;
            }
        }
        try (InputStream in = JShellCommand.class.getResourceAsStream("/org/inflvg/kernel/startup.jsh")) {
            if (in == null) {
                throw new IllegalStateException("the startup script is missing from the toolkit jar; rebuild it");
            }
            Path file = Files.createTempFile("inflvg-startup", ".jsh");
            file.toFile().deleteOnExit();
            Files.write(file, in.readAllBytes());
            return file;
        }
    }
}
