package org.inflvg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.inflvg.InfLVG;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's local-libtorch switch ({@code INFLVG_LIBTORCH}), driven through {@code ./inflvg} after package: bad
 * folders are refused before Java starts (exit 2, one line, no stack trace); a pip-style folder of PyTorch 2.7.1 is what
 * DJL loads ({@code ./inflvg info} names it). On CPU the folder is a pip layout whose lib/ links to the CPU libtorch
 * this JVM loaded; the CUDA flavor takes the same path on a GPU host (docs/gpu-host.md).
 */
class LauncherIT {

    record Result(int code, String out) {
    }

    static Result inflvg(Map<String, String> env, Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(InfLVG.home().resolve("inflvg").toString()));
        cmd.addAll(List.of(args));
        Path log = dir.resolve("log-" + System.nanoTime() + ".txt");
        ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        b.environment().remove("PYTORCH_LIBRARY_PATH");
        b.environment().remove("PYTORCH_FLAVOR");
        if (env.containsKey("INFLVG_LIBTORCH")) { // the JNI DJL unpacks for a local libtorch goes here, not to ~/.djl.ai
            b.environment().put("DJL_CACHE_DIR", dir.resolve("djl-cache").toString());
        }
        b.environment().putAll(env);
        Process p = b.start();
        p.getOutputStream().close();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("./inflvg " + String.join(" ", args) + " did not finish in 180 s");
        }
        return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    /** A pip-style torch folder: version.py and lib/ with links to the libraries of the libtorch this JVM loaded. */
    static Path pipTorch(Path dir, String version) throws IOException {
        Engine.getInstance();
        Path loaded = Path.of(LibUtils.getLibtorchPath());
        Path lib = Files.createDirectories(dir.resolve("site-packages/torch/lib"));
        try (Stream<Path> files = Files.list(loaded)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (n.contains(".so") && !n.contains("djl_torch")) { // not DJL's JNI: it must come from the jar
                    Files.createSymbolicLink(lib.resolve(n), f.toAbsolutePath());
                }
            }
        }
        Files.writeString(lib.getParent().resolve("version.py"), "__version__ = '" + version + "'\n");
        return lib;
    }

    static void assertRefused(Result r, String... words) {
        assertEquals(2, r.code(), r.out());
        for (String w : words) {
            assertTrue(r.out().contains(w), "'" + w + "' missing from: " + r.out());
        }
        assertFalse(r.out().contains("Exception") || r.out().contains("\tat "), "no stack trace: " + r.out());
    }

    @Test
    void badLibtorchFoldersAreRefusedInOneLine(@TempDir Path dir) throws Exception {
        assertRefused(inflvg(Map.of("INFLVG_LIBTORCH", dir.resolve("nowhere").toString()), dir, "info"),
                "INFLVG_LIBTORCH=", "is not a folder", "docs/gpu-host.md");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertRefused(inflvg(Map.of("INFLVG_LIBTORCH", empty.toString()), dir, "info"), "holds no libtorch.so");
        Path old = pipTorch(dir.resolve("old"), "2.6.0+cu124");
        assertRefused(inflvg(Map.of("INFLVG_LIBTORCH", old.toString()), dir, "generate"), "is PyTorch 2.6.0+cu124",
                "2.7.1 only");
        Path cu126 = pipTorch(dir.resolve("cu126"), "2.7.1+cu126");
        assertRefused(inflvg(Map.of("INFLVG_LIBTORCH", cu126.toString()), dir, "info"), "cu126", "cpu and cu128 only");
        // a libtorch.so that is not one: DJL fails to load it, the command says so in one line
        Path broken = Files.createDirectories(dir.resolve("broken/lib"));
        Files.writeString(broken.resolve("libtorch.so"), "");
        assertRefused(inflvg(Map.of("INFLVG_LIBTORCH", broken.toString()), dir, "info"),
                "the PyTorch native library did not load", "file too short", "unset INFLVG_LIBTORCH");
    }

    /**
     * A cu128 folder on this CPU machine: the launcher links pip's CUDA runtime where JNA looks first, DJL takes the
     * cu128 JNI from the pytorch-jni jar, and that JNI cannot load against a CPU libtorch (no libc10_cuda.so): one line.
     */
    @Test
    void aCu128FolderTakesTheCu128JniFromTheJar(@TempDir Path dir) throws Exception {
        Path lib = pipTorch(dir.resolve("cu128"), "2.7.1+cu128");
        Path runtime = Files.createDirectories(lib.resolve("../../nvidia/cuda_runtime/lib").normalize());
        Files.writeString(runtime.resolve("libcudart.so.12"), "");
        Result r = inflvg(Map.of("INFLVG_LIBTORCH", lib.toString()), dir, "info");
        assertRefused(r, "2.7.1-cu128-linux-x86_64/0.36.0-libdjl_torch.so", "libc10_cuda.so", "(flavor cu128)");
        Path linked = InfLVG.home().resolve("toolkit/target/cudart/libcudart.so");
        assertEquals(runtime.resolve("libcudart.so.12").toRealPath(), linked.toRealPath(),
                "pip's CUDA runtime is the libcudart.so JNA finds first");
    }

    @Test
    void aLocalLibtorchIsWhatDjlLoads(@TempDir Path dir) throws Exception {
        Path lib = pipTorch(dir.resolve("good"), "2.7.1+cpu");
        Result r = inflvg(Map.of("INFLVG_LIBTORCH", lib.toString()), dir, "info");
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("native library: " + lib.toRealPath()) || r.out().contains("native library: " + lib),
                r.out());
        assertTrue(r.out().contains("[INFLVG_LIBTORCH=") && r.out().contains("flavor:         cpu")
                && r.out().contains("engine:         PyTorch 2.7.1") && r.out().contains("GPUs:           0")
                && r.out().contains("offline:        true"), r.out());
        assertTrue(Files.isRegularFile(dir.resolve("djl-cache/pytorch/2.7.1-cpu-linux-x86_64/0.36.0-libdjl_torch.so")),
                "DJL took the cpu JNI from the pytorch-jni jar");
        // the bundled library without the switch
        Result bundled = inflvg(Map.of(), dir, "info", "--device", "cpu");
        assertEquals(0, bundled.code(), bundled.out());
        assertTrue(bundled.out().contains("[bundled") && bundled.out().contains("device:         cpu() is there"),
                bundled.out());
    }
}
