package org.inflvg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** {@code inflvg kernel install}: makes the InfLVG Java kernel available to Jupyter. */
@Command(name = "kernel", mixinStandardHelpOptions = true,
        description = "The InfLVG Jupyter kernel (Java, JShell, with the toolkit on its class path).",
        subcommands = {KernelCommand.Install.class})
public final class KernelCommand implements Runnable {

    /** The kernelspec's name: what {@code --ExecutePreprocessor.kernel_name} and notebooks' metadata use. */
    public static final String KERNEL_NAME = "inflvg";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "install", mixinStandardHelpOptions = true,
            description = {"Writes the kernelspec '" + KERNEL_NAME + "': a kernel.json whose command runs this java with "
                    + "this checkout's toolkit jar and libraries. Re-run it after moving the checkout or changing JDK.",
                    "Default: --user."})
    static final class Install implements Callable<Integer> {

        static final class Target {
            @Option(names = "--user", description = "Into your own Jupyter data folder, on Linux ~/.local/share/jupyter/kernels (the default).")
            boolean user;

            @Option(names = "--prefix", paramLabel = "P",
                    description = "Into P/share/jupyter/kernels: use a virtualenv's or conda env's prefix (sys.prefix), "
                            + "which is what `jupyter kernelspec install --sys-prefix` does.")
            Path prefix;

            @Option(names = "--dir", paramLabel = "D",
                    description = "Into D/" + KERNEL_NAME + ", where D is a 'kernels' folder (e.g. $JUPYTER_PATH/kernels).")
            Path dir;
        }

        @ArgGroup(exclusive = true, multiplicity = "0..1")
        Target target;

        @Option(names = "--jvm-option", paramLabel = "OPT",
                description = "An extra option for the kernel's JVM, e.g. --jvm-option=-Xmx12g (repeatable; "
                        + "comes after the defaults, so it wins).")
        List<String> jvmOptions = new ArrayList<>();

        @Override
        public Integer call() throws IOException {
            Path home = inflvgHome();
            Path jar = home.resolve("toolkit/target/inflvg-toolkit.jar");
            Path lib = home.resolve("toolkit/target/lib");
            if (!Files.isRegularFile(jar) || !Files.isDirectory(lib)) {
                throw new BadInputException("the toolkit is not built (" + jar + " or " + lib + " is missing): run "
                        + "`mvn -B -pl toolkit package -DskipTests` in " + home + ", or any ./inflvg command, which builds it");
            }
            Path java = Path.of(System.getProperty("java.home"), "bin", isWindows() ? "java.exe" : "java");
            String classPath = jar + File.pathSeparator + lib + File.separator + "*";

            ObjectMapper json = new ObjectMapper();
            ObjectNode spec = (ObjectNode) json.readTree(template());
            ArrayNode argv = json.createArrayNode();
            List<String> libtorch = libtorchOptions();
            for (JsonNode arg : spec.withArray("argv")) {
                String value = arg.asText();
                if (value.equals("-cp")) {
                    libtorch.forEach(argv::add);
                    jvmOptions.forEach(argv::add);
                }
                argv.add(value.replace("{java}", java.toString())
                        .replace("{inflvg_home}", home.toString())
                        .replace("{class_path}", classPath));
            }
            spec.set("argv", argv);

            Path kernelDir = kernelDirectory();
            Files.createDirectories(kernelDir);
            Path kernelJson = kernelDir.resolve("kernel.json");
            Files.writeString(kernelJson, json.writerWithDefaultPrettyPrinter().writeValueAsString(spec) + "\n");

            System.out.println("Installed the Jupyter kernel '" + KERNEL_NAME + "' (\"" + spec.path("display_name").asText()
                    + "\") in " + kernelDir);
            System.out.println("  java:       " + java + " (Java " + Runtime.version() + ")");
            System.out.println("  class path: " + classPath);
            if (!libtorch.isEmpty()) {
                System.out.println("  libtorch:   " + String.join(" ", libtorch) + " (from INFLVG_LIBTORCH: the kernel "
                        + "loads that PyTorch, not the bundled CPU one; re-install without it to undo)");
            }
            System.out.println("Choose \"" + spec.path("display_name").asText() + "\" in Jupyter, or run a notebook with "
                    + "`jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=" + KERNEL_NAME + " NB.ipynb`.");
            checkJupyterSeesIt(kernelDir);
            return 0;
        }

        /**
         * A local libtorch the launcher set up ({@code INFLVG_LIBTORCH} gives DJL's PYTORCH_LIBRARY_PATH, _VERSION and
         * _FLAVOR, and jna.library.path for pip's CUDA runtime): the kernel's JVM gets them as system properties, which
         * DJL reads as well as environment variables, so a notebook runs on the same PyTorch (e.g. the CUDA one).
         */
        static List<String> libtorchOptions() {
            List<String> opts = new ArrayList<>();
            for (String name : List.of("PYTORCH_LIBRARY_PATH", "PYTORCH_VERSION", "PYTORCH_FLAVOR")) {
                String v = ai.djl.util.Utils.getEnvOrSystemProperty(name);
                if (v != null && !v.isBlank() && (!opts.isEmpty() || name.equals("PYTORCH_LIBRARY_PATH"))) {
                    opts.add("-D" + name + "=" + v);
                }
            }
            String jna = System.getProperty("jna.library.path");
            if (!opts.isEmpty() && jna != null && !jna.isBlank()) {
                opts.add("-Djna.library.path=" + jna);
            }
            return opts;
        }

        private Path kernelDirectory() {
            if (target != null && target.prefix != null) {
                return target.prefix.toAbsolutePath().resolve("share/jupyter/kernels").resolve(KERNEL_NAME);
            }
            if (target != null && target.dir != null) {
                return target.dir.toAbsolutePath().resolve(KERNEL_NAME);
            }
            return userDataDirectory().resolve("kernels").resolve(KERNEL_NAME);
        }

        /** Jupyter's user data folder, as jupyter_core computes it. */
        private static Path userDataDirectory() {
            String dataDir = System.getenv("JUPYTER_DATA_DIR");
            if (dataDir != null && !dataDir.isBlank()) {
                return Path.of(dataDir).toAbsolutePath();
            }
            Path userHome = Path.of(System.getProperty("user.home"));
            String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
            if (os.contains("mac")) {
                return userHome.resolve("Library/Jupyter");
            }
            if (os.contains("win")) {
                String appData = System.getenv("APPDATA");
                return (appData == null ? userHome : Path.of(appData)).resolve("jupyter");
            }
            String xdg = System.getenv("XDG_DATA_HOME");
            return (xdg == null || xdg.isBlank() ? userHome.resolve(".local/share") : Path.of(xdg)).resolve("jupyter");
        }

        /** Kernelspecs written where Jupyter does not look are a classic; ask Jupyter, when it is on PATH. */
        private static void checkJupyterSeesIt(Path kernelDir) {
            try {
                Process process = new ProcessBuilder("jupyter", "kernelspec", "list", "--json")
                        .redirectErrorStream(false).start();
                process.getOutputStream().close();
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    System.out.println("(`jupyter kernelspec list` did not answer within 30 s; not checked whether Jupyter sees the kernel)");
                    return;
                }
                String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                JsonNode listed = new ObjectMapper().readTree(out).path("kernelspecs").path(KERNEL_NAME).path("resource_dir");
                if (!listed.isMissingNode() && Path.of(listed.asText()).toAbsolutePath().normalize()
                        .equals(kernelDir.toAbsolutePath().normalize())) {
                    System.out.println("Jupyter on this PATH finds it (`jupyter kernelspec list`).");
                } else if (!listed.isMissingNode()) {
                    System.out.println("Warning: Jupyter on this PATH uses another '" + KERNEL_NAME + "' kernelspec first: "
                            + listed.asText() + " - remove that one (`jupyter kernelspec remove " + KERNEL_NAME
                            + "`) or install with the matching --user/--prefix.");
                } else {
                    System.out.println("Warning: Jupyter on this PATH does not find " + kernelDir + " - it searches the "
                            + "folders that `jupyter --paths` lists under 'data'. Use --user, or --prefix with the "
                            + "prefix of the Python environment that runs Jupyter, or add " + kernelDir.getParent().getParent()
                            + " to JUPYTER_PATH.");
                }
            } catch (IOException e) {
                System.out.println("(no `jupyter` on PATH, so not checked whether Jupyter finds the kernel)");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static byte[] template() throws IOException {
            try (InputStream in = KernelCommand.class.getResourceAsStream("/org/inflvg/kernel/kernel.json")) {
                if (in == null) {
                    throw new IllegalStateException("the kernel.json template is missing from the toolkit jar; rebuild it");
                }
                return in.readAllBytes();
            }
        }

        private static boolean isWindows() {
            return System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("win");
        }
    }

    /** The checkout: {@code -Dinflvg.home} (the launcher sets it), else found from where this class was loaded. */
    static Path inflvgHome() {
        String property = System.getProperty("inflvg.home");
        if (property != null && !property.isBlank()) {
            return Path.of(property).toAbsolutePath().normalize();
        }
        try {
            Path code = Path.of(KernelCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // toolkit/target/inflvg-toolkit.jar or toolkit/target/classes
            Path home = code.getParent().getParent().getParent();
            if (home != null && Files.isDirectory(home.resolve("toolkit"))) {
                return home.toAbsolutePath().normalize();
            }
        } catch (URISyntaxException | RuntimeException e) {
            // fall through to the message below
        }
        throw new BadInputException("cannot tell where the InfLVG checkout is: run through ./inflvg, or pass -Dinflvg.home=DIR");
    }
}
