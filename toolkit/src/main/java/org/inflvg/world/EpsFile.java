package org.inflvg.world;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes event prompt set files in the official format: one JSON object per line, keys "0".."N-1" mapping to
 * scene prompts. Keys are ordered numerically ("10" after "9"). This project adds optional keys "_identity" and
 * "_split"; other keys are an error. Blank lines are skipped.
 */
public final class EpsFile {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private EpsFile() {
    }

    /** Reads every set of a file. A malformed line is an error naming the file, the line number and the problem. */
    public static List<Eps> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("prompt file " + file + " does not exist or is not a file");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read prompt file " + file, e);
        }
        List<Eps> sets = new ArrayList<>();
        for (int ln = 0; ln < lines.size(); ln++) {
            String line = lines.get(ln).trim();
            if (line.isEmpty()) {
                continue;
            }
            sets.add(parseLine(line, sets.size(), file + ":" + (ln + 1)));
        }
        if (sets.isEmpty()) {
            throw new IllegalArgumentException("prompt file " + file + " holds no prompt sets");
        }
        return sets;
    }

    static Eps parseLine(String line, int index, String where) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            if (e.getOriginalMessage().startsWith("Duplicate field")) {
                throw new IllegalArgumentException(where + ": a key appears twice (" + e.getOriginalMessage()
                        + "); every scene number must appear once");
            }
            throw new IllegalArgumentException(where + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(where + ": expected a JSON object {\"0\": \"prompt\", \"1\": ...}");
        }
        Map<Integer, String> scenes = new TreeMap<>();
        int identity = -1;
        Split split = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            var e = it.next();
            String k = e.getKey();
            JsonNode v = e.getValue();
            if (k.equals("_identity")) {
                if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0 || v.asInt() >= Identity.COUNT) {
                    throw new IllegalArgumentException(where + ": _identity must be an integer in [0, "
                            + (Identity.COUNT - 1) + "], got " + v);
                }
                identity = v.asInt();
            } else if (k.equals("_split")) {
                split = Split.parse(v.asText());
            } else {
                int i;
                try {
                    i = Integer.parseInt(k);
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException(where + ": key '" + k + "' is not a scene number; keys are "
                            + "\"0\"..\"N-1\" (and optionally \"_identity\", \"_split\")");
                }
                if (i < 0) {
                    throw new IllegalArgumentException(where + ": negative scene key '" + k + "'");
                }
                if (!k.equals(String.valueOf(i))) {
                    throw new IllegalArgumentException(where + ": scene key '" + k + "' is not written plainly; use \""
                            + i + "\" (no padding, sign or spaces)");
                }
                if (!v.isTextual() || v.asText().isBlank()) {
                    throw new IllegalArgumentException(where + ": scene \"" + k + "\" must be a non-empty string, got " + v);
                }
                scenes.put(i, v.asText());
            }
        }
        if (scenes.isEmpty()) {
            throw new IllegalArgumentException(where + ": no scenes (keys \"0\"..\"N-1\")");
        }
        if (split != null && identity >= 0 && new Identity(identity).split() != split) {
            throw new IllegalArgumentException(where + ": _identity " + identity + " belongs to the "
                    + new Identity(identity).split() + " split, not to _split " + split
                    + " (identities with number % 10 < 8 are train, 8 val, 9 test)");
        }
        int expect = 0;
        for (int k : scenes.keySet()) {
            if (k != expect) {
                throw new IllegalArgumentException(where + ": scene keys must be 0..N-1 without gaps; missing \""
                        + expect + "\"");
            }
            expect++;
        }
        return Eps.fromMap(index, scenes, identity, split);
    }

    /** Writes sets atomically (temp file, then rename). */
    public static void write(Path file, List<Eps> sets) {
        StringBuilder sb = new StringBuilder();
        for (Eps e : sets) {
            ObjectNode o = JSON.createObjectNode();
            e.asMap().forEach((k, v) -> o.put(String.valueOf(k), v));
            if (e.identity() >= 0) {
                o.put("_identity", e.identity());
            }
            if (e.split() != null) {
                o.put("_split", e.split().toString());
            }
            sb.append(o).append('\n');
        }
        try {
            Path abs = file.toAbsolutePath();
            if (abs.getParent() != null) {
                Files.createDirectories(abs.getParent());
            }
            Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp");
            Files.writeString(tmp, sb.toString());
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write prompt file " + file, ex);
        }
    }
}
