package org.inflvg.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A {@link VideoModel} backed by a TorchScript module, run by DJL's PyTorch engine: the contract of
 * {@code docs/external-models.md} ({@code encode_text}, {@code forward}, {@code key_projection}). The KV cache stays
 * on the Java side: every call gets the kept keys and values of each layer as a list of tensors and returns the chunk's
 * own keys, values and queries, so the {@link KvCache}, the selectors and the policy work unchanged.
 *
 * <p>A model is a {@code .pt} file with a JSON file beside it (same name, {@code .json}): format
 * {@value #FORMAT}, the {@code .pt}'s SHA-256 (checked on load), the {@link ModelConfig}, the vocabulary, the source
 * model's checksum, the number type it computes in ({@code dtype}) and the command that made it.
 * {@code tools/export_tinydit.py} writes both from a TinyDiT folder ({@code data/external/tinydit-ts.pt} from
 * {@code data/tinydit}; with {@code --dtype bfloat16}, {@code data/external/tinydit-ts-bf16.pt}).
 *
 * <p><b>Number types.</b> Every tensor that crosses the module's boundary is float32, whatever the module computes in:
 * DJL 0.36's PyTorch JNI has no bfloat16 type (an array of it aborts the JVM, {@code docs/gpu-host.md}), so a bfloat16
 * export holds bfloat16 weights, casts its float32 inputs to bfloat16 on entry and its outputs (the KV cache's keys,
 * values and queries too) back to float32 on exit. The JSON's {@code dtype} ({@code float32} when absent, as in files
 * exported before the option) says which; a host's {@code dtype} must match it ({@link #checkDtype}). bfloat16 is
 * allowed on the CPU as on a GPU: libtorch has CPU kernels for every op TinyDiT uses, and the test suite runs it there.
 * Its CPU speed depends on the CPU: with AVX512-BF16 (this project's AMD EPYC) a chunk takes 0.5-0.9 of the float32
 * time (oneDNN's bfloat16 matrix products); without bfloat16 instructions expect it slower than float32.
 *
 * <p>Calls go through {@link IValueUtils#runMethod}, which runs the module under libtorch's inference mode: no graph is
 * recorded on any thread. The text encoder's outputs are copied into ordinary tensors because the policy trains on
 * them (inference tensors cannot be saved for backward); the other outputs are only read without gradients.
 */
public final class TorchScriptVideoModel implements VideoModel {

    /** The {@code format} of the JSON file beside a {@code .pt}. */
    public static final String FORMAT = "inflvg-torchscript-1";
    /** How the shipped export is made (also recorded in its JSON file). */
    public static final String EXPORT_COMMAND = "/usr/bin/python3 tools/export_tinydit.py --model data/tinydit "
            + "--out data/external/tinydit-ts.pt";
    /** How the shipped bfloat16 export is made (also recorded in its JSON file). */
    public static final String EXPORT_COMMAND_BF16 = "/usr/bin/python3 tools/export_tinydit.py --model data/tinydit "
            + "--dtype bfloat16 --out data/external/tinydit-ts-bf16.pt";
    /** The number types an export may compute in (the JSON's {@code dtype}). */
    static final java.util.List<String> DTYPES = java.util.List.of("float32", "bfloat16");

    private final Path file;
    private final Model djl;
    private final PtSymbolBlock module;
    private final ModelConfig cfg;
    private final Vocabulary vocab;
    private final String checksum;
    private final JsonNode source;
    private final String dtype;

    private TorchScriptVideoModel(Path file, Model djl, ModelConfig cfg, Vocabulary vocab, String checksum,
                                  JsonNode source, String dtype) {
        this.file = file;
        this.djl = djl;
        this.module = (PtSymbolBlock) djl.getBlock();
        this.cfg = cfg;
        this.vocab = vocab;
        this.checksum = checksum;
        this.source = source;
        this.dtype = dtype;
    }

    /** The JSON file that describes {@code pt}: the same name with {@code .json} instead of {@code .pt}. */
    public static Path describedBy(Path pt) {
        String n = pt.getFileName().toString();
        return pt.resolveSibling((n.endsWith(".pt") ? n.substring(0, n.length() - 3) : n) + ".json");
    }

    /**
     * Loads a TorchScript model on {@code device}, in whatever number type it was exported in ({@link #dtype()}). A
     * missing or damaged file (or its JSON) is an {@link IllegalArgumentException} that names the file and the command
     * that makes it again.
     */
    public static TorchScriptVideoModel load(Path pt, Device device) {
        return load(pt, device, null);
    }

    /**
     * Loads a TorchScript model on {@code device} that must compute in {@code dtype} ({@code float32} or
     * {@code bfloat16}, a host's {@code dtype}; null: any): a file exported in another type is refused with
     * {@link #checkDtype}'s message before the module is read. Other errors as {@link #load(Path, Device)}.
     */
    public static TorchScriptVideoModel load(Path pt, Device device, String dtype) {
        Path json = describedBy(pt);
        if (!Files.isRegularFile(json)) {
            throw new IllegalArgumentException("TorchScript model " + pt + " has no " + json.getFileName()
                    + " beside it (its checksum, config and vocabulary); export it with: " + EXPORT_COMMAND);
        }
        JsonNode o = ModelFiles.read(json);
        String command = o.path("command").asText(EXPORT_COMMAND);
        if (!FORMAT.equals(o.path("format").asText())) {
            throw new IllegalArgumentException(json + " has format '" + o.path("format").asText() + "', expected '"
                    + FORMAT + "'; export the model again with: " + command);
        }
        String recorded = dtypeOf(o, json, command);
        if (dtype != null) {
            checkDtype(pt, recorded, dtype, command);
        }
        if (!Files.isRegularFile(pt)) {
            throw new IllegalArgumentException("TorchScript model " + pt + " is missing; export it with: " + command);
        }
        String expected = o.path("sha256").asText(""), actual = Weights.sha256(pt);
        if (!expected.equals(actual)) {
            throw new IllegalArgumentException(pt + " does not match the SHA-256 in " + json + " (expected " + expected
                    + ", got " + actual + "): the file is damaged or was replaced; export it again with: " + command);
        }
        ModelConfig cfg;
        List<String> words = new ArrayList<>();
        try {
            cfg = ModelFiles.JSON.treeToValue(o.get("config"), ModelConfig.class);
            o.get("vocabulary").forEach(n -> words.add(n.asText()));
        } catch (Exception e) {
            throw new IllegalArgumentException(json + " holds no valid config and vocabulary (" + e.getMessage()
                    + "); export the model again with: " + command);
        }
        Model djl = Model.newInstance(pt.getFileName().toString(), device, "PyTorch");
        try {
            djl.load(pt, null, Map.of("mapLocation", "true"));
        } catch (Exception e) {
            djl.close();
            throw new IllegalArgumentException("cannot load TorchScript model " + pt + " with DJL's PyTorch engine ("
                    + e.getMessage() + "); export it again with: " + command, e);
        }
        TorchScriptVideoModel model = new TorchScriptVideoModel(pt, djl, cfg, new Vocabulary(words), actual,
                o.path("source"), recorded);
        try {
            model.checkContract(command);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    /** The JSON's {@code dtype}: {@code float32} when absent (files exported before the option), else one of DTYPES. */
    private static String dtypeOf(JsonNode o, Path json, String command) {
        String d = o.path("dtype").asText("float32");
        if (!DTYPES.contains(d)) {
            throw new IllegalArgumentException(json + " has dtype '" + d + "', expected float32 or bfloat16; export the "
                    + "model again with: " + command);
        }
        return d;
    }

    /**
     * The number type the export {@code pt} computes in, as its JSON records it ({@code float32} when the JSON does not
     * say), or null when there is no readable JSON beside it (loading it then says what is wrong).
     */
    public static String recordedDtype(Path pt) {
        Path json = describedBy(pt);
        if (!Files.isRegularFile(json)) {
            return null;
        }
        try {
            JsonNode o = ModelFiles.read(json);
            return dtypeOf(o, json, o.path("command").asText(EXPORT_COMMAND));
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * Whether the export {@code pt} computes in the number type a host asks for: an {@link IllegalArgumentException}
     * naming the file, both types and the command that exports the model in the type asked for, when not. Nothing is
     * checked when the file has no readable JSON (loading it says so).
     */
    public static void checkDtype(Path pt, String dtype) {
        String recorded = recordedDtype(pt);
        if (recorded != null) {
            checkDtype(pt, recorded, dtype, ModelFiles.read(describedBy(pt)).path("command").asText(EXPORT_COMMAND));
        }
    }

    private static void checkDtype(Path pt, String recorded, String dtype, String command) {
        if (recorded.equals(dtype)) {
            return;
        }
        // the recorded command with the other type and file name: --dtype X and a -bf16 suffix for bfloat16
        String other = command.replaceFirst(" --dtype \\S+", "").replaceFirst(" --out (\\S+?)(-bf16)?\\.pt",
                (dtype.equals("float32") ? "" : " --dtype " + dtype) + " --out $1" + (dtype.equals("bfloat16")
                        ? "-bf16" : "") + ".pt");
        throw new IllegalArgumentException("TorchScript model " + pt + " computes in " + recorded + " (the dtype its "
                + describedBy(pt).getFileName() + " records; float32 when it names none) but the host asks for "
                + dtype + "; point \"model\" at an export in " + dtype + (dtype.equals("bfloat16")
                ? " (data/external/tinydit-ts-bf16.pt for the shipped model)" : " (data/external/tinydit-ts.pt for the "
                + "shipped model)") + ", made with: " + other + ", or set \"dtype\": \"" + recorded + "\"");
    }

    /** One text encoding and one velocity with a cache pass: shapes as the config says, or a clear error. */
    private void checkContract(String command) {
        try (NDManager m = djl.getNDManager().newSubManager()) {
            NDArray[] text = text(m, new int[cfg.textLength()], 1);
            List<NDArray[]> kv = new ArrayList<>();
            NDArray x = m.zeros(new Shape(1, cfg.tokensPerChunk(), cfg.patchDim()));
            NDArray v = velocity(m, x, new float[] {0.5f}, 0, text, null, kv);
            Shape own = new Shape(1, cfg.heads(), cfg.tokensPerChunk(), cfg.headDim());
            if (!text[0].getShape().equals(new Shape(1, cfg.textLength(), cfg.dim()))
                    || !v.getShape().equals(x.getShape()) || kv.size() != cfg.depth()
                    || !kv.get(0)[0].getShape().equals(own)) {
                throw new IllegalArgumentException("TorchScript model " + file + " does not follow the contract for "
                        + cfg + " (text " + text[0].getShape() + ", velocity " + v.getShape() + ", " + kv.size()
                        + " cached layers); see docs/external-models.md, or export it again with: " + command);
            }
        } catch (ai.djl.engine.EngineException e) {
            throw new IllegalArgumentException("TorchScript model " + file + " fails the contract's first call ("
                    + e.getMessage().split("\n")[0] + "); see docs/external-models.md, or export it again with: "
                    + command, e);
        }
    }

    @Override
    public ModelConfig config() {
        return cfg;
    }

    @Override
    public String name() {
        return "torchscript:" + file.getFileName();
    }

    /** SHA-256 of the {@code .pt} file (checked against its JSON on load). */
    @Override
    public String checksum() {
        return checksum;
    }

    /** The {@code .pt} file. */
    public Path file() {
        return file;
    }

    /**
     * The number type the module computes in: {@code float32} or {@code bfloat16} (its JSON's {@code dtype}). Its
     * inputs and outputs are float32 either way.
     */
    public String dtype() {
        return dtype;
    }

    /** SHA-256 of the model the file was exported from (its JSON's {@code source.sha256}), or null if not recorded. */
    public String sourceChecksum() {
        String s = source.path("sha256").asText("");
        return s.isEmpty() ? null : s;
    }

    @Override
    public Device device() {
        return djl.getNDManager().getDevice();
    }

    @Override
    public int[] tokenize(String prompt) {
        return vocab.encode(prompt, cfg.textLength());
    }

    public Vocabulary vocabulary() {
        return vocab;
    }

    @Override
    public NDArray[] text(NDManager m, int[] ids, int batch) {
        int L = cfg.textLength();
        if (ids.length != batch * L) {
            throw new IllegalArgumentException("expected " + batch + " x " + L + " token ids, got " + ids.length);
        }
        long[] ids64 = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab.size()) {
                throw new IllegalArgumentException("token id " + ids[i] + " is outside the vocabulary (0.."
                        + (vocab.size() - 1) + ")");
            }
            ids64[i] = ids[i];
        }
        PtNDManager pm = (PtNDManager) m;
        try (NDArray idArray = m.create(ids64, new Shape(batch, L))) {
            NDArray[] out = call(pm, "encode_text", IValue.from((PtNDArray) idArray));
            NDArray[] copies = new NDArray[out.length];
            for (int i = 0; i < out.length; i++) {
                copies[i] = out[i].duplicate();                      // an ordinary tensor: the policy trains on it
                out[i].close();
            }
            return copies;                                           // [batch, L, d], [batch, d]
        }
    }

    @Override
    public NDArray velocity(NDManager m, NDArray x, float[] t, int firstFrame, NDArray[] text, Context ctx,
                            List<NDArray[]> kvOut) {
        int S = t.length, D = cfg.depth();
        if (firstFrame < 0 || firstFrame + cfg.chunkFrames() > cfg.maxFrames()) {
            throw new IllegalArgumentException("frame position " + (firstFrame < 0 ? firstFrame
                    : firstFrame + cfg.chunkFrames() - 1) + " is beyond the model's " + cfg.maxFrames() + " frames ("
                    + cfg.maxFrames() / cfg.sceneFrames() + " scenes)");
        }
        PtNDManager pm = (PtNDManager) m;
        int kept = ctx == null ? 0 : ctx.tokens();
        PtNDArray[] keys = new PtNDArray[kept == 0 ? 0 : D], values = new PtNDArray[keys.length];
        for (int l = 0; l < keys.length; l++) {
            keys[l] = (PtNDArray) ctx.keys(l);                       // [1 or S, H, M, hd]
            values[l] = (PtNDArray) ctx.values(l);
        }
        try (NDArray times = m.create(t)) {                          // [S]
            NDArray[] out = call(pm, "forward", IValue.from((PtNDArray) x), IValue.from((PtNDArray) times),
                    IValue.from((long) firstFrame), IValue.from((PtNDArray) text[0]), IValue.from((PtNDArray) text[1]),
                    IValue.listFrom(keys), IValue.listFrom(values), IValue.from(kvOut != null));
            if (kvOut != null) {                                     // out: v, then D keys, D values, D queries
                for (int l = 0; l < D; l++) {
                    kvOut.add(new NDArray[] {out[1 + l], out[1 + D + l], out[1 + 2 * D + l]});
                }
            }
            return out[0];                                           // [S, N, P]
        }
    }

    @Override
    public NDArray keyProjection(int layer, NDArray h) {
        if (layer < 0 || layer >= cfg.depth()) {
            throw new IllegalArgumentException("layer must be in [0, " + (cfg.depth() - 1) + "], got " + layer);
        }
        return call((PtNDManager) h.getManager(), "key_projection", IValue.from((long) layer),
                IValue.from((PtNDArray) h))[0];
    }

    /**
     * Runs a method of the module on the given arguments (closed afterwards) and returns every tensor of its result,
     * flattened in order (a tuple of tensors and lists of tensors), in {@code m}.
     */
    private NDArray[] call(PtNDManager m, String method, IValue... args) {
        IValue result;
        try {
            result = IValueUtils.runMethod(module, method, args);
        } catch (ai.djl.engine.EngineException e) {
            throw new IllegalStateException("TorchScript model " + file + ": method " + method + " failed: "
                    + e.getMessage().split("\n")[0], e);
        } finally {
            for (IValue a : args) {
                a.close();
            }
        }
        try (result) {
            return result.toNDList(m).toArray(new NDArray[0]);
        }
    }

    @Override
    public void close() {
        djl.close();
    }

    @Override
    public String toString() {
        return "TorchScriptVideoModel[" + file.getFileName() + ", " + cfg.dim() + "d x " + cfg.depth() + " blocks, "
                + cfg.frameSize() + "px frames, " + dtype + ", sha256 " + checksum.substring(0, 12) + "]";
    }
}
