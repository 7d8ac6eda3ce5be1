package org.inflvg.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The files of a run folder: {@code run.json} (provenance) and {@code cells.jsonl} (one finished cell a line). */
final class CellStore {

    static final String CELLS = "cells.jsonl", INFO = "run.json", VIDEOS = "videos";
    static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private CellStore() {
    }

    /**
     * Finished cells by key. A last line cut short by an interrupted write is ignored (that cell runs again); a bad
     * line before the last is an error naming the file and line.
     */
    static Map<String, Cell> read(Path file) {
        Map<String, Cell> cells = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) {
            return cells;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (line.isEmpty()) {
                continue;
            }
            try {
                Cell c = JSON.readValue(line, Cell.class);
                cells.put(c.key(), c);
            } catch (JsonProcessingException e) {
                if (i == lines.size() - 1) {
                    System.err.println("warning: " + file + ":" + (i + 1) + " is an unfinished cell; it will run again");
                    repair(file, lines.subList(0, i));
                } else {
                    throw new IllegalArgumentException(file + ":" + (i + 1) + " is not a CsVBench cell ("
                            + e.getOriginalMessage() + "); remove the line or use another output folder");
                }
            }
        }
        return cells;
    }

    /** Rewrites the file with its complete lines only, so that the next append starts on a line of its own. */
    private static void repair(Path file, List<String> complete) {
        StringBuilder sb = new StringBuilder();
        complete.forEach(l -> sb.append(l).append('\n'));
        writeText(file, sb.toString());
    }

    /** Appends one cell as a line (synced, so a crash loses at most the cell being written). */
    static void append(Path file, Cell c) {
        try {
            CsVBench.appendLine(file, JSON.writeValueAsString(c));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise cell " + c.key(), e);
        }
    }

    static RunInfo readInfo(Path dir) {
        Path f = dir.resolve(INFO);
        if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException(dir + " is not a CsVBench run folder (no " + INFO + "); give folders written"
                    + " by 'inflvg bench csv --out DIR'");
        }
        try {
            return JSON.readValue(f.toFile(), RunInfo.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f, e);
        }
    }

    /** Refuses to resume into a folder whose cells were made by another model, judge, story length or weights. */
    static void checkCompatible(Path dir, RunInfo now) {
        if (!Files.isRegularFile(dir.resolve(INFO))) {
            return;
        }
        RunInfo before = readInfo(dir);
        if (!before.resultsKey().equals(now.resultsKey())) {
            throw new IllegalArgumentException("output folder " + dir + " holds cells of another run (model "
                    + before.modelSha256().substring(0, 12) + ", judge " + before.judge() + ", " + before.scenes()
                    + " scenes, weights " + before.weights() + "); this run is model " + now.modelSha256().substring(0, 12)
                    + ", judge " + now.judge() + ", " + now.scenes() + " scenes, weights " + now.weights()
                    + ". Use another --out folder, or delete that one to start over");
        }
        if (!before.sameSampling(now)) {
            throw new IllegalArgumentException("output folder " + dir + " holds cells sampled with " + before.sampling()
                    + "; this run samples with " + now.sampling() + ". Give the same --euler-steps and --guidance as "
                    + "that run, use another --out folder, or delete that one to start over");
        }
    }

    static void writeInfo(Path dir, RunInfo info) {
        writeJson(dir.resolve(INFO), info);
    }

    /** Writes a value as pretty JSON, atomically (temporary file, then rename). */
    static void writeJson(Path file, Object value) {
        try {
            Path abs = file.toAbsolutePath();
            Files.createDirectories(abs.getParent());
            Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), value);
            readable(tmp);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** rw-r--r--: temporary files are created private, the outputs are meant to be shared. */
    static void readable(Path p) throws IOException {
        try {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system: keep the default permissions
        }
    }

    /** Writes text atomically. */
    static void writeText(Path file, String text) {
        try {
            Path abs = file.toAbsolutePath();
            Files.createDirectories(abs.getParent());
            Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
            Files.writeString(tmp, text);
            readable(tmp);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
