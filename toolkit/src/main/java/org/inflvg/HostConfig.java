package org.inflvg;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.inflvg.model.ModelConfig;
import org.inflvg.model.Sampling;

/**
 * What one machine runs: the device, the number type, the model, reward and policy folders, a prompt file and batch
 * sizes, read from a JSON file (the shipped ones are in {@code data/hosts/}). {@link InfLVG#load(Path)} takes such a
 * file as well as a model folder; {@code --config FILE} on the commands reads one.
 *
 * <pre>{@code
 * { "device": "cpu", "dtype": "float32", "model": "data/tinydit", "rewards": "data/rewards",
 *   "policy": "data/policy", "batch": { "group": 8, "train": 8 } }
 * { "device": "cpu", "model": "data/external/tinydit-ts.pt", "modelKind": "torchscript" }
 * }</pre>
 *
 * <p>Reading is strict: an unknown key or an impossible value is an {@link IllegalArgumentException} whose message
 * names the file, the key, the allowed values and the fix. Relative folders are resolved against the checkout
 * ({@link InfLVG#home()}), not the working directory, so a host file means the same from anywhere. Whether the device
 * exists is checked when a model is loaded ({@link #djlDevice()}), so a GPU host's file still parses on a laptop.
 *
 * @param description free text shown nowhere but in the file (what this host is for)
 * @param device      {@code cpu}, {@code gpu} (GPU 0) or {@code gpu:N}
 * @param dtype       {@code float32} or {@code bfloat16}. bfloat16 runs only with {@code modelKind} {@code torchscript}
 *                    and a bfloat16 export (which computes in bfloat16 inside the module and exchanges float32 with
 *                    Java), on the CPU or a GPU; the native TinyDiT with bfloat16 is refused at load, as DJL 0.36's
 *                    PyTorch JNI has no bfloat16 ({@link InfLVG#checkDtype})
 * @param model       model folder (config.json + model.bin), or for {@code modelKind} {@code torchscript} the
 *                    {@code .pt} file (with its {@code .json} beside it)
 * @param modelKind   {@code tinydit} (a TinyDiT folder, run in Java) or {@code torchscript} (a TorchScript module
 *                    run by DJL's PyTorch engine, {@code model.TorchScriptVideoModel}, e.g. from
 *                    tools/export_tinydit.py)
 * @param size        the named TinyDiT configuration the folder must hold ({@code tiny}, {@code large}), or null
 *                    for whatever it holds; names the training command when the folder is missing
 * @param rewards     reward model folder
 * @param policy      context policy folder (a fresh, untrained policy when it holds none)
 * @param prompts     EPS file (JSONL) the commands use when no {@code --prompts} is given, or null
 * @param batch       batch sizes
 * @param sampling    how chunks are sampled, overriding the model's own {@code config.json}: {@code {"steps": N,
 *                    "guidance": W}} (Euler steps per chunk in [1, 1000], classifier-free guidance weight in [0, 20];
 *                    either may be left out), or null for the model's own ({@link Sampling})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HostConfig(String description, String device, String dtype, String model, String modelKind, String size,
                         String rewards, String policy, String prompts, Batch batch, Sampling sampling) {

    /** The CPU configuration every GPU error points to (a path in the checkout). */
    public static final String CPU_FILE = "data/hosts/cpu-tiny.json";

    /** The embedded default: the shipped TinyDiT, reward models and policy from {@code data/}, on the CPU. */
    public static final HostConfig CPU_TINY = new HostConfig("The embedded default: the shipped tiny models on the CPU "
            + "(what InfLVG.load() uses).", "cpu", "float32", "data/tinydit", "tinydit", null, "data/rewards",
            "data/policy", null, Batch.DEFAULT, null);

    /** The model kinds a host file may name. */
    public static final String TINYDIT = "tinydit", TORCHSCRIPT = "torchscript";

    static final List<String> KEYS = List.of("description", "device", "dtype", "model", "modelKind", "size", "rewards",
            "policy", "prompts", "batch", "sampling");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Batch sizes of a host.
     *
     * @param group GRPO group size G (rollouts per group), in [2, 64]
     * @param train clips per base-model training step, in [1, 256]
     */
    public record Batch(Integer group, Integer train) {

        /** G = 8 (GrpoConfig's default), 8 clips per training step (train base's default). */
        public static final Batch DEFAULT = new Batch(8, 8);

        /** Missing sizes take the defaults; impossible ones name the key, the range and the fix. */
        public Batch {
            group = group == null ? 8 : group;
            train = train == null ? 8 : train;
            check(group >= 2 && group <= 64, "batch.group must be in [2, 64] (GRPO advantages need a group of at "
                    + "least 2), got " + group + "; e.g. \"batch\": {\"group\": 8}");
            check(train >= 1 && train <= 256, "batch.train must be in [1, 256] clips per step, got " + train
                    + "; e.g. \"batch\": {\"train\": 8}");
        }
    }

    /** Missing keys take the defaults of {@link #CPU_TINY}; impossible values name the key and the fix. */
    public HostConfig {
        device = device == null ? "cpu" : device.trim().toLowerCase(java.util.Locale.ROOT);
        dtype = dtype == null ? "float32" : dtype.trim().toLowerCase(java.util.Locale.ROOT);
        model = model == null ? "data/tinydit" : model;
        modelKind = modelKind == null ? TINYDIT : modelKind.trim().toLowerCase(java.util.Locale.ROOT);
        rewards = rewards == null ? "data/rewards" : rewards;
        policy = policy == null ? "data/policy" : policy;
        batch = batch == null ? Batch.DEFAULT : batch;
        check(device.equals("cpu") || device.equals("gpu") || device.matches("gpu:(0|[1-9][0-9]{0,2})"),
                "device must be cpu, gpu or gpu:N (N = 0, 1, ...), got '" + device + "'; e.g. \"device\": \"cpu\"");
        check(dtype.equals("float32") || dtype.equals("bfloat16"), "dtype must be float32 or bfloat16, got '" + dtype
                + "'; e.g. \"dtype\": \"float32\"");
        check(size == null || size.equals("tiny") || size.equals("large"), "size must be tiny or large (a named "
                + "TinyDiT configuration), got '" + size + "'; or leave size out to take whatever the model folder holds");
        for (String[] kv : new String[][] {{"model", model}, {"rewards", rewards}, {"policy", policy}}) {
            check(!kv[1].isBlank(), kv[0] + " must be a folder path, got an empty string; e.g. \"" + kv[0] + "\": \"data/"
                    + kv[0] + "\" (relative to the checkout)");
        }
        check(prompts == null || !prompts.isBlank(), "prompts must be an EPS file path or left out, got an empty string");
        check(modelKind.equals(TINYDIT) || modelKind.equals(TORCHSCRIPT), "modelKind must be tinydit (a model folder) "
                + "or torchscript (a .pt file, e.g. from tools/export_tinydit.py), got '" + modelKind + "'");
        check(!modelKind.equals(TORCHSCRIPT) || model.endsWith(".pt"), "modelKind torchscript needs \"model\" to name "
                + "a .pt file (e.g. \"model\": \"data/external/tinydit-ts.pt\"), got '" + model + "'");
        check(!modelKind.equals(TINYDIT) || !model.endsWith(".pt"), "model '" + model + "' is a TorchScript file: set "
                + "\"modelKind\": \"torchscript\", or point \"model\" at a TinyDiT folder such as data/tinydit");
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * Reads a host file. Errors are {@link IllegalArgumentException}s that name the file and the key: a missing file,
     * JSON that does not parse, an unknown key (with the allowed keys), a value of the wrong type or out of range.
     */
    public static HostConfig read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("host file " + file + " does not exist; the shipped ones are in "
                    + "data/hosts/ (e.g. " + CPU_FILE + ")");
        }
        try {
            HostConfig h = JSON.readValue(file.toFile(), HostConfig.class);
            if (h == null) {
                throw new IllegalArgumentException("host file " + file + " is empty; see " + CPU_FILE);
            }
            return h;
        } catch (UnrecognizedPropertyException e) {
            String where = path(e);
            List<String> allowed = where.startsWith("batch") ? List.of("group", "train")
                    : where.startsWith("sampling") ? List.of("steps", "guidance") : KEYS;
            throw new IllegalArgumentException("host file " + file + ": unknown key '" + e.getPropertyName() + "'"
                    + (where.contains(".") ? " in " + where.substring(0, where.lastIndexOf('.')) : "")
                    + "; allowed keys: " + String.join(", ", allowed) + " (remove it or fix its spelling)");
        } catch (ValueInstantiationException e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            throw new IllegalArgumentException("host file " + file + ": " + c.getMessage());
        } catch (JsonMappingException e) {
            String where = path(e);
            String why = e.getOriginalMessage().split("\n")[0];
            throw new IllegalArgumentException("host file " + file + ": " + (where.isEmpty()
                    ? "not one JSON object of host keys (" + why + ")"
                    : "key '" + where + "' has a value of the wrong type (" + why + ")")
                    + "; see " + CPU_FILE + " for the form of each key");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("host file " + file + " is not valid JSON (line "
                    + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()) + "): "
                    + e.getOriginalMessage().split("\n")[0]);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read host file " + file + ": " + e.getMessage());
        }
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
    }

    /** Writes this configuration as a host file (what {@link #read} reads back). */
    public void write(Path file) {
        try {
            Path abs = file.toAbsolutePath();
            Files.createDirectories(abs.getParent());
            JSON.writeValue(abs.toFile(), this);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write host file " + file, e);
        }
    }

    /** This configuration as the JSON text a host file holds. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The DJL device, checked against what DJL sees: asking for a GPU that is not there is an
     * {@link IllegalArgumentException} that says so and names the CPU configuration to use instead.
     */
    public Device djlDevice() {
        if (device.equals("cpu")) {
            return Device.cpu();
        }
        int index = device.equals("gpu") ? 0 : Integer.parseInt(device.substring(4));
        int count = Engine.getInstance().getGpuCount();
        if (index >= count) {
            String seen = count == 0 ? "DJL sees no GPU on this machine (engine " + Engine.getInstance().getEngineName()
                    + " " + Engine.getInstance().getVersion() + ", 0 GPUs: no CUDA device, or the engine's CPU-only "
                    + "native build; a GPU host sets INFLVG_LIBTORCH to a CUDA libtorch, docs/gpu-host.md)" : "DJL sees " + count + " GPU" + (count == 1 ? "" : "s") + " (gpu:0.." + (count - 1) + ")";
            throw new IllegalArgumentException("device " + device + " was asked for but " + seen + "; on this machine "
                    + "use the CPU configuration " + CPU_FILE + " (--config " + CPU_FILE + ") or set \"device\": \"cpu\""
                    + (dtype.equals("bfloat16") && !torchScript() ? " and \"dtype\": \"float32\"" : ""));
        }
        return Device.gpu(index);
    }

    /** Whether this host runs on a GPU (its file asks for one; {@link #djlDevice()} checks it is there). */
    public boolean gpu() {
        return !device.equals("cpu");
    }

    /** Whether the model is a TorchScript module ({@code "modelKind": "torchscript"}) rather than a TinyDiT folder. */
    public boolean torchScript() {
        return modelKind.equals(TORCHSCRIPT);
    }

    /** The model folder (or .pt file), relative paths against the checkout. */
    public Path modelDir() {
        return resolve(model);
    }

    /** The reward model folder, relative paths against the checkout. */
    public Path rewardsDir() {
        return resolve(rewards);
    }

    /** The policy folder, relative paths against the checkout. */
    public Path policyDir() {
        return resolve(policy);
    }

    /** The EPS file, relative paths against the checkout, or null when the host names none. */
    public Path promptsFile() {
        return prompts == null ? null : resolve(prompts);
    }

    /** The named model configuration the model folder must hold, or null when the host does not name one. */
    public ModelConfig namedConfig() {
        return size == null ? null : size.equals("large") ? ModelConfig.LARGE : ModelConfig.TINY;
    }

    private static Path resolve(String p) {
        Path path = Path.of(p);
        return path.isAbsolute() ? path : InfLVG.home().resolve(path);
    }

    /** This host on another device ({@code cpu}, {@code gpu}, {@code gpu:N}). */
    public HostConfig withDevice(String d) {
        return new HostConfig(description, d, dtype, model, modelKind, size, rewards, policy, prompts, batch, sampling);
    }

    /** This host with another number type. */
    public HostConfig withDtype(String t) {
        return new HostConfig(description, device, t, model, modelKind, size, rewards, policy, prompts, batch,
                sampling);
    }

    /** This host with another TinyDiT model folder and named size (null: whatever the folder holds). */
    public HostConfig withModel(String dir, String sizeName) {
        return new HostConfig(description, device, dtype, dir, TINYDIT, sizeName, rewards, policy, prompts, batch,
                sampling);
    }

    /** This host with a TorchScript model ({@code .pt} file with its {@code .json} beside it) instead of a folder. */
    public HostConfig withTorchScript(String ptFile) {
        return new HostConfig(description, device, dtype, ptFile, TORCHSCRIPT, null, rewards, policy, prompts, batch,
                sampling);
    }

    /** This host with other reward and policy folders. */
    public HostConfig withRewardsAndPolicy(String rewardsDir, String policyDir) {
        return new HostConfig(description, device, dtype, model, modelKind, size, rewardsDir, policyDir, prompts,
                batch, sampling);
    }

    /** This host with another description. */
    public HostConfig withDescription(String text) {
        return new HostConfig(text, device, dtype, model, modelKind, size, rewards, policy, prompts, batch, sampling);
    }

    /** This host with an EPS file (null: none). */
    public HostConfig withPrompts(String file) {
        return new HostConfig(description, device, dtype, model, modelKind, size, rewards, policy, file, batch,
                sampling);
    }

    /** This host sampling chunks with other settings on top of its own (null fields keep the current ones). */
    public HostConfig withSampling(Sampling s) {
        Sampling merged = sampling == null ? s : sampling.with(s);
        return new HostConfig(description, device, dtype, model, modelKind, size, rewards, policy, prompts, batch,
                merged == null || merged.isModelDefault() ? null : merged);
    }

    /** This host with other batch sizes. */
    public HostConfig withBatch(Batch b) {
        return new HostConfig(description, device, dtype, model, modelKind, size, rewards, policy, prompts, b,
                sampling);
    }

    @Override
    public String toString() {
        return "HostConfig[" + device + ", " + dtype + ", model " + model + (torchScript() ? " (torchscript)" : "")
                + (size == null ? "" : " (" + size + ")")
                + ", group " + batch.group() + (sampling == null ? "" : ", " + sampling) + "]";
    }
}
