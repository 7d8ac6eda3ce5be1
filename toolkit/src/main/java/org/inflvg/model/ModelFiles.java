package org.inflvg.model;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A saved model is a folder: {@code model.bin} (weights) and {@code config.json} (the {@link ModelConfig}, the
 * vocabulary, the weights' SHA-256 and how they were made). Loading checks the checksum.
 */
public final class ModelFiles {

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    public static final String WEIGHTS = "model.bin", CONFIG = "config.json";

    private ModelFiles() {
    }

    /** Writes weights and config atomically; returns the weights' SHA-256. */
    public static String save(TinyDiT model, Weights weights, Path dir, Map<String, Object> provenance) {
        String sha = weights.save(dir.resolve(WEIGHTS));
        ObjectNode o = JSON.createObjectNode();
        o.put("format", "inflvg-tinydit-1");
        o.set("config", JSON.valueToTree(model.config()));
        o.set("vocabulary", JSON.valueToTree(model.vocabulary().words()));
        o.put("sha256", sha);
        o.put("parameters", weights.count());
        o.set("provenance", JSON.valueToTree(provenance));
        writeAtomically(dir.resolve(CONFIG), o);
        return sha;
    }

    /** Loads a saved model; errors name the file and what is wrong. */
    public static TinyDiT load(Path dir, NDManager manager) {
        Path cfgFile = dir.resolve(CONFIG), bin = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(cfgFile)) {
            throw new IllegalArgumentException("model folder " + dir + " has no " + CONFIG
                    + " (train one with: ./inflvg train base --out " + dir + ")");
        }
        JsonNode o = read(cfgFile);
        ModelConfig cfg;
        List<String> words = new ArrayList<>();
        try {
            cfg = JSON.treeToValue(o.get("config"), ModelConfig.class);
            o.get("vocabulary").forEach(n -> words.add(n.asText()));
        } catch (Exception e) {
            throw new IllegalArgumentException(cfgFile + " is not a TinyDiT config: " + e.getMessage());
        }
        if (!Files.isRegularFile(bin)) {
            throw new IllegalArgumentException("model folder " + dir + " has no " + WEIGHTS);
        }
        String expected = o.path("sha256").asText("");
        String actual = Weights.sha256(bin);
        if (!expected.equals(actual)) {
            throw new IllegalArgumentException(bin + " does not match the checksum in " + cfgFile + " (expected "
                    + expected + ", got " + actual + "): the file is truncated or belongs to another model");
        }
        TinyDiT model = new TinyDiT(cfg, new Vocabulary(words), manager, 0, actual);
        try {
            model.weights().load(bin);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    /** The SHA-256 recorded for a saved model. */
    public static String checksum(Path dir) {
        return read(dir.resolve(CONFIG)).path("sha256").asText();
    }

    static JsonNode read(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
    }

    static void writeAtomically(Path file, Object value) {
        try {
            Path abs = file.toAbsolutePath();
            Files.createDirectories(abs.getParent());
            Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp");
            JSON.writeValue(tmp.toFile(), value);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
