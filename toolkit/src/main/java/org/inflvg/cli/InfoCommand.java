package org.inflvg.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.pytorch.jni.LibUtils;
import ai.djl.util.Utils;
import ai.djl.util.cuda.CudaUtils;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.inflvg.HostConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code inflvg info}: what this machine runs — the engine and its version, which native library was loaded (the
 * bundled CPU one or a local libtorch from {@code INFLVG_LIBTORCH}), its flavor and features, threads, the GPUs DJL
 * counts, and, with {@code --config} / {@code --device}, whether that host's device is there and its number type can
 * run its model (exit 2 when not).
 */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"What this machine runs: engine version, native library (bundled CPU, or a local libtorch from "
                + "INFLVG_LIBTORCH), its flavor and features, threads, GPUs; with --config/--device, whether that "
                + "host's device is there (exit 2 when not). docs/gpu-host.md"})
public final class InfoCommand implements Callable<Integer> {

    @Mixin HostOptions host;

    @Override
    public Integer call() {
        Engine engine = Engine.getInstance(); // a library that does not load is reported by Main
        String lib = LibUtils.getLibtorchPath();
        String override = Utils.getEnvOrSystemProperty("PYTORCH_LIBRARY_PATH");
        String inflvgLib = System.getenv("INFLVG_LIBTORCH");
        boolean local = override != null && !override.isBlank();
        String source = !local ? "bundled (the pytorch-native-cpu jar, unpacked into DJL's cache)"
                : inflvgLib != null ? "INFLVG_LIBTORCH=" + inflvgLib : "PYTORCH_LIBRARY_PATH";
        String flavor = local ? Utils.getEnvOrSystemProperty("PYTORCH_FLAVOR", "(DJL's guess: cpu, or cuXYZ of the CUDA "
                + "runtime)") : bundledFlavor();
        List<String[]> rows = new ArrayList<>();
        rows.add(row("inflvg", org.inflvg.bench.RunInfo.VERSION + ", Java " + Runtime.version() + ", "
                + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.arch")));
        rows.add(row("engine", engine.getEngineName() + " " + engine.getVersion() + " (DJL " + Engine.getDjlVersion() + ")"));
        rows.add(row("native library", lib + "  [" + source + "]"));
        rows.add(row("flavor", flavor));
        TreeSet<String> features = new TreeSet<>(JniUtils.getFeatures());
        rows.add(row("features", String.join(", ", features)));
        rows.add(row("threads", "intra-op " + JniUtils.getNumThreads() + ", inter-op " + JniUtils.getNumInteropThreads()));
        int gpus = engine.getGpuCount();
        rows.add(row("GPUs", gpus + (gpus > 0 ? " (CUDA runtime " + cudaVersion() + ")" : "")));
        for (int i = 0; i < gpus; i++) {
            rows.add(row("  gpu:" + i, gpuLine(i)));
        }
        rows.add(row("offline", Utils.isOfflineMode() + (Utils.isOfflineMode() ? " (no native library is downloaded)" : "")));
        for (String[] r : rows) {
            System.out.printf(Locale.ROOT, "%-15s %s%n", r[0] + ":", r[1]);
        }
        // the traps, said plainly
        if (local && !samePath(override, lib)) {
            System.out.println("warning: PYTORCH_LIBRARY_PATH=" + override + " was not loaded (it holds no libtorch.so) "
                    + "and DJL fell back to " + lib);
        }
        if (features.contains("CUDA") && gpus == 0) {
            System.out.println("warning: the native library is a CUDA build but DJL counts no GPU. DJL counts them "
                    + "through the CUDA runtime (libcudart), which it loads with JNA: check nvidia-smi, and that "
                    + "libcudart is found (./inflvg adds pip's nvidia/cuda_runtime/lib to jna.library.path; else set "
                    + "INFLVG_JAVA_OPTS=\"-Xmx6g -Djna.library.path=<folder of libcudart.so.12>\")");
        }
        if (!features.contains("CUDA")) {
            System.out.println("note: a CPU build; for a GPU point INFLVG_LIBTORCH at PyTorch 2.7.1+cu128's lib folder "
                    + "(docs/gpu-host.md)");
        }
        HostConfig h = host.effective(null);
        String where = host.config != null ? "--config " + host.config : "the default host (" + HostConfig.CPU_FILE + ")";
        System.out.printf(Locale.ROOT, "%-15s %s: %s%n", "host:", where, h);
        host.check(null); // exit 2 when the host's device is not there
        Device d = h.djlDevice();
        System.out.printf(Locale.ROOT, "%-15s %s is there%n", "device:", d);
        System.out.printf(Locale.ROOT, "%-15s %s%n", "dtype:", h.dtype() + (h.torchScript()
                ? " (computed inside the TorchScript module, which exchanges float32 with Java)"
                : " (the native TinyDiT, op by op)"));
        System.out.printf(Locale.ROOT, "%-15s %s%n", "sampling:", h.sampling() == null
                ? "the model's own (config.json; --euler-steps N, --guidance W or the host file's \"sampling\" override it)"
                : h.sampling() + " (over the model's config.json)");
        return 0;
    }

    private static String[] row(String k, String v) {
        return new String[] {k, v};
    }

    private static String bundledFlavor() {
        try {
            return ai.djl.util.Platform.detectPlatform("pytorch").getFlavor();
        } catch (RuntimeException e) {
            return "?";
        }
    }

    private static String cudaVersion() {
        try {
            String v = CudaUtils.getCudaVersionString();                 // e.g. 128
            return v.substring(0, v.length() - 1).replaceFirst("^0", "") + "." + v.substring(v.length() - 1);
        } catch (RuntimeException e) {
            return "?";
        }
    }

    private static String gpuLine(int i) {
        try {
            MemoryUsage m = CudaUtils.getGpuMemory(Device.gpu(i));
            return String.format(Locale.ROOT, "compute capability %s, %.1f of %.1f GiB in use",
                    CudaUtils.getComputeCapability(i), m.getUsed() / 1073741824.0, m.getMax() / 1073741824.0);
        } catch (RuntimeException e) {
            return "(" + e.getMessage() + ")";
        }
    }

    /** Whether DJL's override (folders or libtorch.so files, ':'-separated) names the folder that was loaded. */
    private static boolean samePath(String override, String loaded) {
        for (String p : override.split(java.io.File.pathSeparator)) {
            try {
                Path path = Path.of(p);
                Path dir = Files.isRegularFile(path) ? path.getParent() : path;
                if (Files.isSameFile(dir, Path.of(loaded))) {
                    return true;
                }
            } catch (java.io.IOException | RuntimeException e) {
                // not this one
            }
        }
        return false;
    }
}
