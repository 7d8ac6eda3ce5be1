package org.inflvg.kernel;

import org.inflvg.cli.Main;
import org.junit.jupiter.api.Assumptions;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What the tests that drive a real Jupyter share: finding Jupyter (a skip on a developer machine without it, a failure
 * under CI=true), installing the kernelspec into a private JUPYTER_PATH, and running processes with a timeout.
 */
final class JupyterTestSupport {

    private JupyterTestSupport() {
    }

    /** The output of a finished process. */
    record Result(int exitCode, String output) {
        String tail(int chars) {
            return output.length() <= chars ? output : "..." + output.substring(output.length() - chars);
        }
    }

    /** {@code jupyter} on PATH; skips the test when missing, unless CI=true, where a missing Jupyter fails. */
    static Path jupyter() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, "jupyter");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        String message = "no `jupyter` on PATH: install Jupyter (./run-tests does: Debian packages jupyter-notebook "
                + "jupyter-client python3-nbconvert python3-nbclient python3-ipykernel)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(message + " - CI=true, so this is a failure rather than a skip");
        }
        Assumptions.abort(message);
        return null;
    }

    /** The Python that runs {@code jupyter} (its #! line), so that its jupyter_client is the one we import. */
    static String pythonOf(Path jupyter) throws IOException {
        String firstLine = Files.readAllLines(jupyter.toRealPath(), StandardCharsets.ISO_8859_1).stream()
                .findFirst().orElse("");
        if (firstLine.startsWith("#!")) {
            String[] words = firstLine.substring(2).trim().split("\\s+");
            if (words.length > 0 && words[0].endsWith("/env") && words.length > 1) {
                return words[1];
            }
            if (words.length > 0 && !words[0].isEmpty()) {
                return words[0];
            }
        }
        return "python3";
    }

    /** The checkout: -Dinflvg.home (failsafe sets it), else the parent of the toolkit module. */
    static Path repoRoot() {
        String home = System.getProperty("inflvg.home");
        Path root = home != null ? Path.of(home) : Path.of("").toAbsolutePath().getParent();
        return root.toAbsolutePath().normalize();
    }

    /**
     * Installs the kernelspec with {@code inflvg kernel install --dir} into {@code jupyterPath}/kernels and returns
     * {@code jupyterPath}, to be passed as JUPYTER_PATH.
     */
    static Path installKernel(Path jupyterPath) {
        String previous = System.getProperty("inflvg.home");
        System.setProperty("inflvg.home", repoRoot().toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream originalOut = System.out;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            int code = Main.commandLine().execute("kernel", "install", "--dir", jupyterPath.resolve("kernels").toString());
            assertEquals(0, code, "inflvg kernel install failed:\n" + out.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(originalOut);
            if (previous == null) {
                System.clearProperty("inflvg.home");
            } else {
                System.setProperty("inflvg.home", previous);
            }
        }
        System.out.print(out.toString(StandardCharsets.UTF_8));
        return jupyterPath;
    }

    /** The environment for Jupyter processes: a private JUPYTER_PATH and runtime folder, INFLVG_SMALL=1. */
    static Map<String, String> jupyterEnvironment(Path jupyterPath) throws IOException {
        Path runtime = Files.createDirectories(jupyterPath.resolve("runtime"));
        return Map.of("JUPYTER_PATH", jupyterPath.toString(),
                "JUPYTER_RUNTIME_DIR", runtime.toString(),
                "INFLVG_SMALL", "1",
                "PYDEVD_DISABLE_FILE_VALIDATION", "1");
    }

    /**
     * Runs a command to completion; on timeout kills it and everything it started (the kernel JVM included) and fails
     * with the output so far.
     */
    static Result run(List<String> command, Map<String, String> env, Path workDir, Duration timeout, Path log)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        boolean finished = process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS);
        if (!finished) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        Result result = new Result(finished ? process.exitValue() : -1, Files.readString(log, StandardCharsets.UTF_8));
        if (!finished) {
            fail("`" + String.join(" ", command) + "` did not finish within " + timeout.toSeconds()
                    + " s and was killed; its output:\n" + result.tail(6000));
        }
        return result;
    }
}
