package org.inflvg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KernelCommandTest {

    /** A fake checkout with the two things the kernelspec points at. */
    private static Path fakeCheckout(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("toolkit/target/lib"));
        Files.createFile(dir.resolve("toolkit/target/inflvg-toolkit.jar"));
        return dir;
    }

    private static int install(Path home, String... args) {
        String previous = System.getProperty("inflvg.home");
        System.setProperty("inflvg.home", home.toString());
        PrintStream out = System.out;
        try {
            System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            var cl = Main.commandLine();
            cl.setErr(new PrintWriter(new StringWriter()));
            List<String> all = new ArrayList<>(List.of("kernel", "install"));
            all.addAll(List.of(args));
            return cl.execute(all.toArray(String[]::new));
        } finally {
            System.setOut(out);
            if (previous == null) {
                System.clearProperty("inflvg.home");
            } else {
                System.setProperty("inflvg.home", previous);
            }
        }
    }

    @Test
    void installWritesAKernelspecThatRunsThisJavaOnTheCheckout(@TempDir Path temp) throws IOException {
        Path home = fakeCheckout(temp.resolve("checkout"));
        assertEquals(0, install(home, "--dir", temp.resolve("kernels").toString(), "--jvm-option=-Xmx12g"));
        JsonNode spec = new ObjectMapper().readTree(temp.resolve("kernels/inflvg/kernel.json").toFile());
        assertEquals("message", spec.path("interrupt_mode").asText());
        List<String> argv = new ArrayList<>();
        spec.path("argv").forEach(a -> argv.add(a.asText()));
        assertEquals(Path.of(System.getProperty("java.home"), "bin", "java").toString(), argv.get(0));
        int cp = argv.indexOf("-cp");
        assertEquals("-Xmx12g", argv.get(cp - 1), "extra JVM options come last, so they win over the defaults");
        assertTrue(argv.indexOf("-Xmx6g") < cp - 1);
        assertEquals(home.resolve("toolkit/target/inflvg-toolkit.jar") + java.io.File.pathSeparator
                + home.resolve("toolkit/target/lib") + java.io.File.separator + "*", argv.get(cp + 1));
        assertEquals("org.inflvg.kernel.KernelMain", argv.get(cp + 2));
        assertEquals("{connection_file}", argv.get(argv.size() - 1));
        assertTrue(argv.contains("-Dinflvg.home=" + home));
    }

    /** With a local libtorch set up (INFLVG_LIBTORCH in the launcher), the kernel's JVM loads the same one. */
    @Test
    void aLocalLibtorchTravelsIntoTheKernelspec(@TempDir Path temp) throws IOException {
        Path home = fakeCheckout(temp.resolve("checkout"));
        String[] names = {"PYTORCH_LIBRARY_PATH", "PYTORCH_VERSION", "PYTORCH_FLAVOR"};
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv(names[0]) == null, "PYTORCH_LIBRARY_PATH is set");
        try {
            System.setProperty(names[0], "/opt/site-packages/torch/lib");
            System.setProperty(names[1], "2.7.1");
            System.setProperty(names[2], "cu128");
            assertEquals(0, install(home, "--dir", temp.resolve("kernels").toString(), "--jvm-option=-Xmx12g"));
        } finally {
            for (String n : names) {
                System.clearProperty(n); // DJL reads these too: never leave them to a later test
            }
        }
        JsonNode spec = new ObjectMapper().readTree(temp.resolve("kernels/inflvg/kernel.json").toFile());
        List<String> argv = new ArrayList<>();
        spec.path("argv").forEach(a -> argv.add(a.asText()));
        int cp = argv.indexOf("-cp");
        assertEquals("-Xmx12g", argv.get(cp - 1), "the user's options still come last");
        assertEquals(List.of("-DPYTORCH_LIBRARY_PATH=/opt/site-packages/torch/lib", "-DPYTORCH_VERSION=2.7.1",
                "-DPYTORCH_FLAVOR=cu128"), argv.subList(cp - 4, cp - 1));
        assertTrue(argv.contains("-Dai.djl.offline=true"));
    }

    @Test
    void prefixInstallsUnderShareJupyter(@TempDir Path temp) throws IOException {
        Path home = fakeCheckout(temp.resolve("checkout"));
        assertEquals(0, install(home, "--prefix", temp.resolve("env").toString()));
        assertTrue(Files.exists(temp.resolve("env/share/jupyter/kernels/inflvg/kernel.json")));
    }

    @Test
    void anUnbuiltCheckoutIsBadInputAndTargetsExcludeEachOther(@TempDir Path temp) {
        assertEquals(2, install(temp, "--dir", temp.resolve("kernels").toString()));
        assertEquals(2, install(temp, "--user", "--dir", temp.toString()));
    }
}
