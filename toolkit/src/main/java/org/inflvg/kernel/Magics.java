package org.inflvg.kernel;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The kernel's line magics. Relative paths resolve against the kernel's working directory, which Jupyter sets to the
 * notebook's folder.
 */
final class Magics {

    private Magics() {
    }

    /** {@code %classpath PATH[:PATH...]}: adds jars or class folders to what later cells compile and run against. */
    static Object classpath(CellEvaluator cells, List<String> args) {
        if (args.isEmpty()) {
            throw new IllegalArgumentException("usage: %classpath PATH[" + java.io.File.pathSeparator
                    + "PATH...] (a jar or a folder of classes)");
        }
        List<Path> added = new ArrayList<>();
        for (String arg : args) {
            for (String part : arg.split(java.io.File.pathSeparator)) {
                if (part.isBlank()) {
                    continue;
                }
                Path path = resolve(part);
                if (!Files.exists(path)) {
                    throw new IllegalArgumentException("no such file or folder: " + path
                            + " (relative paths start at " + workingDirectory() + ")");
                }
                cells.addToClasspath(path.toString());
                added.add(path);
            }
        }
        System.out.println("Added to the class path: " + added);
        return null;
    }

    /** {@code %jars GLOB}: adds every jar matching the glob, e.g. {@code %jars lib/*.jar} or {@code %jars libs/**.jar}. */
    static Object jars(CellEvaluator cells, List<String> args) throws IOException {
        if (args.isEmpty()) {
            throw new IllegalArgumentException("usage: %jars GLOB, e.g. %jars lib/*.jar");
        }
        List<Path> jars = new ArrayList<>();
        for (String glob : args) {
            List<Path> matched = glob(glob);
            if (matched.isEmpty()) {
                throw new IllegalArgumentException("no jar matches " + glob + " (relative globs start at "
                        + workingDirectory() + ")");
            }
            jars.addAll(matched);
        }
        for (Path jar : jars) {
            cells.addToClasspath(jar.toString());
        }
        System.out.println("Added " + jars.size() + (jars.size() == 1 ? " jar" : " jars") + " to the class path: "
                + jars.stream().map(p -> p.getFileName().toString()).toList());
        return null;
    }

    /** {@code %load FILE}: runs a {@code .jsh} or {@code .java} file's code as if it were typed into the cell. */
    static Object load(CellEvaluator cells, List<String> args) throws IOException {
        if (args.size() != 1) {
            throw new IllegalArgumentException("usage: %load FILE.jsh or %load FILE.java");
        }
        Path file = resolve(args.get(0));
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no such file: " + file + " (relative paths start at "
                    + workingDirectory() + ")");
        }
        String code = Files.readString(file);
        if (file.toString().endsWith(".java")) {
            // JShell has no packages; keep the line so that error line numbers still match the file
            code = code.replaceFirst("(?m)^\\s*package\\s+[\\w.]+\\s*;", "");
        }
        cells.evalScript(code, file.getFileName().toString());
        return null;
    }

    static List<Path> glob(String glob) throws IOException {
        String normalized = glob.replace('\\', '/');
        int firstWildcard = indexOfWildcard(normalized);
        if (firstWildcard < 0) {
            Path path = resolve(glob);
            return Files.isRegularFile(path) ? List.of(path) : List.of();
        }
        int slash = normalized.lastIndexOf('/', firstWildcard);
        Path base = resolve(slash < 0 ? "." : normalized.substring(0, slash + 1));
        String pattern = normalized.substring(slash + 1);
        if (!Files.isDirectory(base)) {
            return List.of();
        }
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        int depth = pattern.contains("**") ? Integer.MAX_VALUE : (int) pattern.chars().filter(c -> c == '/').count() + 1;
        try (Stream<Path> files = Files.walk(base, depth)) {
            return files.filter(Files::isRegularFile)
                    .filter(p -> matcher.matches(base.relativize(p)))
                    .filter(p -> p.getFileName().toString().endsWith(".jar"))
                    .sorted()
                    .toList();
        }
    }

    private static int indexOfWildcard(String glob) {
        for (int i = 0; i < glob.length(); i++) {
            if ("*?[{".indexOf(glob.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    private static Path resolve(String path) {
        String expanded = path.startsWith("~/") ? System.getProperty("user.home") + path.substring(1) : path;
        return workingDirectory().resolve(expanded).normalize().toAbsolutePath();
    }

    private static Path workingDirectory() {
        return Path.of("").toAbsolutePath();
    }
}
