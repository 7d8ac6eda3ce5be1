package org.inflvg.kernel;

import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.ImportSnippet;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.MethodSnippet;
import jdk.jshell.Snippet;
import jdk.jshell.Snippet.Status;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.SourceCodeAnalysis.Completeness;
import jdk.jshell.SourceCodeAnalysis.CompletionInfo;
import jdk.jshell.SourceCodeAnalysis.Documentation;
import jdk.jshell.SourceCodeAnalysis.Suggestion;
import jdk.jshell.TypeDeclSnippet;
import jdk.jshell.UnresolvedReferenceException;
import jdk.jshell.VarSnippet;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The kernel's JShell layer: splits a cell into line magics and JShell snippets, evaluates them in order, and turns
 * what JShell reports into what a notebook user needs — the last expression's value as an object, compile errors with
 * the cell line, exceptions with the cell's frames only, a warning when redefining something reset a variable, and a
 * plain message when an interrupted cell stopped or did not stop.
 *
 * <p>Not thread-safe except {@link #interrupt()}, which the control channel calls while a cell runs.
 */
final class CellEvaluator implements AutoCloseable {

    /** Runs a line magic ({@code %name args}) and returns what it produced, or null. */
    @FunctionalInterface
    interface MagicRunner {
        Object run(String name, List<String> args) throws Exception;
    }

    /** Completion options for the text between {@code start} and {@code end} of the cell. */
    record Completion(List<String> options, int start, int end) {
    }

    /** Where a snippet's source came from, to turn JShell's {@code #id:line} frames into cell lines. */
    private record Origin(String where, int firstLine) {
    }

    /** A line magic or a run of code, at {@code start} in the cell. */
    private record Piece(String text, int start, boolean magic) {
    }

    /** One snippet's source (as JShell should compile it) and the cell range [start, end) it came from. */
    private record Source(String text, int start, int end) {
    }

    private static final Pattern MAGIC_LINE = Pattern.compile("[ \\t]*%([A-Za-z][\\w-]*)(.*)");
    private static final int MAX_FRAMES = 40;
    private static final Set<Snippet.SubKind> VALUE_KINDS = Set.of(
            Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND, Snippet.SubKind.VAR_VALUE_SUBKIND,
            Snippet.SubKind.ASSIGNMENT_SUBKIND, Snippet.SubKind.OTHER_EXPRESSION_SUBKIND);

    private final CellExecutionControl control = new CellExecutionControl();
    private final JShell shell;
    private final SourceCodeAnalysis analysis;
    private final MagicRunner magics;
    private final Map<String, Origin> origins = new ConcurrentHashMap<>();

    /**
     * @param classPath what cells compile against: this JVM's class path (JShell's compiler starts from
     *                  {@code java.class.path}), or more where that is a launcher jar (Surefire's). At run time cells
     *                  load these classes from this JVM's class loader, so the toolkit is shared with the kernel.
     */
    CellEvaluator(String classPath, MagicRunner magics) {
        this.magics = magics;
        this.shell = JShell.builder()
                .executionEngine(CellExecutionControl.providerFor(control), Map.of())
                .build();
        this.analysis = shell.sourceCodeAnalysis();
        Set<String> jvm = Set.of(System.getProperty("java.class.path").split(File.pathSeparator));
        String extra = Arrays.stream(classPath.split(File.pathSeparator))
                .filter(entry -> !entry.isBlank() && !jvm.contains(entry))
                .collect(Collectors.joining(File.pathSeparator));
        if (!extra.isEmpty()) {
            control.compileOnly(extra);
            shell.addToClasspath(extra);
        }
    }

    /** Evaluates a whole cell and returns the value of its last expression, or null when it has none. */
    Object evalCell(String cell, String where) {
        control.beginCell();
        try {
            warnAboutCellsStillRunning();
            return evalScript(cell, where);
        } finally {
            control.endCell();
            System.out.flush();
            System.err.flush();
        }
    }

    /**
     * Evaluates code inside a running cell (the cell itself, or a file that {@code %load} reads), stopping at the first
     * error.
     */
    Object evalScript(String code, String where) {
        Object last = null;
        for (Piece piece : pieces(code)) {
            if (piece.magic()) {
                last = runMagic(piece, code, where);
            } else {
                for (Source source : snippets(piece.text(), piece.start())) {
                    last = evalSnippet(source, code, where);
                }
            }
            checkStopped(where);
        }
        return last;
    }

    /**
     * Evaluates a startup script snippet by snippet, going on after errors.
     *
     * @return one line per snippet that failed; empty when all went well
     */
    List<String> evalStartup(String script, String where) {
        List<String> problems = new ArrayList<>();
        control.beginCell();
        try {
            for (Piece piece : pieces(script)) {
                List<Runnable> steps = piece.magic()
                        ? List.of(() -> runMagic(piece, script, where))
                        : snippets(piece.text(), piece.start()).stream()
                        .<Runnable>map(source -> () -> evalSnippet(source, script, where)).toList();
                for (Runnable step : steps) {
                    try {
                        step.run();
                    } catch (CellError e) {
                        problems.add(e.ename() + ": " + e.evalue());
                    }
                }
            }
        } finally {
            control.endCell();
        }
        return problems;
    }

    /**
     * Compiles, loads and runs one throwaway snippet, so that the user's first cell does not pay for loading the
     * compiler's and the executor's classes; the snippet is dropped again.
     */
    void warmUp() {
        for (SnippetEvent event : shell.eval("java.util.List.of(1).size()")) {
            shell.drop(event.snippet());
        }
        control.endCell();
    }

    /** Asks the running cell to stop; returns at once (see {@link CellExecutionControl} for the ladder). */
    void interrupt() {
        shell.stop();
    }

    /** Makes a jar or class directory visible to later cells, at compile time and at run time. */
    void addToClasspath(String path) {
        shell.addToClasspath(path);
    }

    @Override
    public void close() {
        shell.close();
    }

    // ---------------------------------------------------------------- evaluation

    private Object evalSnippet(Source source, String cell, String where) {
        List<SnippetEvent> events = shell.eval(source.text());
        System.out.flush();
        System.err.flush();
        if (events.isEmpty()) {
            return null;
        }
        SnippetEvent primary = events.stream().filter(e -> e.causeSnippet() == null).findFirst().orElse(events.get(0));
        Snippet snippet = primary.snippet();
        origins.put(snippet.id(), new Origin(where, lineOf(cell, source.start())));
        if (primary.status() == Status.REJECTED) {
            throw compileError(snippet, source, cell, where);
        }
        warnAboutDependents(primary, events);
        if (primary.exception() != null) {
            throw runtimeError(primary.exception(), where);
        }
        checkStopped(where);
        if (primary.status() == Status.RECOVERABLE_DEFINED || primary.status() == Status.RECOVERABLE_NOT_DEFINED) {
            warn("Note: " + describe(snippet) + " is defined, but cannot be used until "
                    + unresolved((DeclarationSnippet) snippet) + " is defined.");
        }
        return VALUE_KINDS.contains(snippet.subKind()) ? control.takeValue(primary.value()) : null;
    }

    private Object runMagic(Piece piece, String cell, String where) {
        Matcher m = MAGIC_LINE.matcher(piece.text());
        if (!m.matches()) {
            throw new IllegalStateException("not a magic line: " + piece.text());
        }
        String name = m.group(1);
        try {
            return magics.run(name, splitArguments(m.group(2)));
        } catch (CellError e) {
            throw e;
        } catch (Exception e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            int line = lineOf(cell, piece.start());
            throw new CellError("MagicError", "%" + name + ": " + message,
                    List.of(where + " line " + line + ": %" + name + ": " + message));
        }
    }

    private void checkStopped(String where) {
        CellExecutionControl.Outcome outcome = control.lastOutcome();
        if (outcome == CellExecutionControl.Outcome.ABANDONED) {
            throw didNotStop(where);
        }
        if (outcome == CellExecutionControl.Outcome.STOPPED || control.stopRequested()) {
            throw interrupted(where);
        }
    }

    private CellError interrupted(String where) {
        String message = where + " was stopped by an interrupt; variables it was setting may hold partial results.";
        return new CellError("Interrupted", message, List.of("Interrupted: " + message));
    }

    private CellError didNotStop(String where) {
        String why = control.forceStopUnsupported()
                ? "This JVM (Java " + Runtime.version().feature() + ") cannot force a thread to stop, and the cell "
                + "neither sleeps, waits nor checks Thread.interrupted()."
                : "It ignored both the interrupt and Thread.stop (it may catch ThreadDeath or block in native code).";
        String message = where + " did not stop within " + CellExecutionControl.ABANDON_AFTER_MS / 1000
                + " s of the interrupt and is still running in the background. Restart the kernel "
                + "(Kernel > Restart) to stop it; until then it may change variables and use CPU.";
        System.err.println("The cell did not stop: a kernel restart is needed to stop it.");
        return new CellError("CellDidNotStop", message, List.of("CellDidNotStop: " + message, why));
    }

    private void warnAboutCellsStillRunning() {
        int running = control.runningAbandoned().size();
        if (running > 0) {
            warn("Warning: " + running + " earlier cell" + (running == 1 ? " that did not stop is" : "s that did not stop are")
                    + " still running in the background and may change variables or use CPU; restart the kernel to stop "
                    + (running == 1 ? "it." : "them."));
        }
    }

    // ---------------------------------------------------------------- splitting

    /** Line magics (at the start of a line, outside unfinished code) and the runs of code between them. */
    private List<Piece> pieces(String cell) {
        List<Piece> pieces = new ArrayList<>();
        int codeStart = 0;
        int lineStart = 0;
        while (lineStart < cell.length()) {
            int lineEnd = cell.indexOf('\n', lineStart);
            if (lineEnd < 0) {
                lineEnd = cell.length();
            }
            String line = cell.substring(lineStart, lineEnd);
            if (MAGIC_LINE.matcher(line).matches() && !isUnfinished(cell.substring(codeStart, lineStart))) {
                String code = cell.substring(codeStart, lineStart);
                if (!code.isBlank()) {
                    pieces.add(new Piece(code, codeStart, false));
                }
                pieces.add(new Piece(line, lineStart, true));
                codeStart = Math.min(lineEnd + 1, cell.length());
            }
            lineStart = lineEnd + 1;
        }
        if (codeStart < cell.length() && !cell.substring(codeStart).isBlank()) {
            pieces.add(new Piece(cell.substring(codeStart), codeStart, false));
        }
        return pieces;
    }

    /** The snippets of a run of code, in order; an unfinished tail becomes one snippet so that JShell reports it. */
    private List<Source> snippets(String code, int base) {
        List<Source> sources = new ArrayList<>();
        String rest = code;
        int position = base;
        while (true) {
            int skip = 0;
            while (skip < rest.length() && Character.isWhitespace(rest.charAt(skip))) {
                skip++;
            }
            rest = rest.substring(skip);
            position += skip;
            if (rest.isEmpty()) {
                return sources;
            }
            CompletionInfo info = analysis.analyzeCompletion(rest);
            Completeness completeness = info.completeness();
            String remaining = info.remaining();
            boolean complete = completeness == Completeness.COMPLETE || completeness == Completeness.COMPLETE_WITH_SEMI;
            if (complete && info.source() != null && remaining != null && remaining.length() < rest.length()) {
                int consumed = rest.length() - remaining.length();
                sources.add(new Source(info.source(), position, position + consumed));
                rest = remaining;
                position += consumed;
            } else if (completeness == Completeness.EMPTY) {
                if (remaining == null || remaining.isBlank() || remaining.length() >= rest.length()) {
                    return sources;   // only comments left
                }
                position += rest.length() - remaining.length();
                rest = remaining;
            } else {
                sources.add(new Source(rest, position, position + rest.length()));
                return sources;
            }
        }
    }

    private boolean isUnfinished(String code) {
        String rest = code;
        while (!rest.isBlank()) {
            CompletionInfo info = analysis.analyzeCompletion(rest);
            Completeness c = info.completeness();
            if (c == Completeness.DEFINITELY_INCOMPLETE || c == Completeness.CONSIDERED_INCOMPLETE) {
                return true;
            }
            if (info.remaining() == null || info.remaining().length() >= rest.length()) {
                return false;
            }
            rest = info.remaining();
        }
        return false;
    }

    /** Splits magic arguments at blanks; double quotes group, backslash escapes. */
    static List<String> splitArguments(String text) {
        List<String> args = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                current.append(text.charAt(++i));
                any = true;
            } else if (c == '"') {
                quoted = !quoted;
                any = true;
            } else if (Character.isWhitespace(c) && !quoted) {
                if (any) {
                    args.add(current.toString());
                    current.setLength(0);
                    any = false;
                }
            } else {
                current.append(c);
                any = true;
            }
        }
        if (any) {
            args.add(current.toString());
        }
        return args;
    }

    // ---------------------------------------------------------------- errors and warnings

    private CellError compileError(Snippet snippet, Source source, String cell, String where) {
        List<Diag> errors = shell.diagnostics(snippet).filter(Diag::isError).toList();
        List<String> traceback = new ArrayList<>();
        String first = null;
        for (Diag diag : errors) {
            long at = diag.getPosition() >= 0 ? diag.getPosition() : Math.max(0, diag.getStartPosition());
            int position = Math.min(cell.length(), source.start() + (int) Math.min(at, source.text().length()));
            int line = lineOf(cell, position);
            int lineStart = cell.lastIndexOf('\n', position - 1) + 1;
            int lineEnd = cell.indexOf('\n', lineStart);
            String lineText = cell.substring(lineStart, lineEnd < 0 ? cell.length() : lineEnd);
            String[] message = diag.getMessage(Locale.ROOT).split("\\R");
            if (first == null) {
                first = "line " + line + ": " + message[0];
            }
            traceback.add(where + " line " + line + ": error: " + message[0]);
            traceback.add("    " + lineText);
            traceback.add("    " + lineText.substring(0, Math.min(position - lineStart, lineText.length()))
                    .replaceAll("[^\\t]", " ") + "^");
            for (int i = 1; i < message.length; i++) {
                traceback.add("    " + message[i].strip());
            }
        }
        if (first == null) {
            int line = lineOf(cell, source.start());
            first = "line " + line + ": JShell rejected this snippet without saying why";
            traceback.add(where + " " + first);
        }
        String more = errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : "";
        return new CellError("CompilationError", first + more, traceback);
    }

    private CellError runtimeError(JShellException exception, String where) {
        if (exception instanceof UnresolvedReferenceException unresolved) {
            DeclarationSnippet snippet = unresolved.getSnippet();
            String message = describe(snippet) + " cannot be used until " + unresolved(snippet) + " is defined";
            List<String> traceback = new ArrayList<>(List.of("UnresolvedReference: " + message));
            appendFrames(traceback, unresolved.getStackTrace());
            return new CellError("UnresolvedReference", message, traceback);
        }
        EvalException error = (EvalException) exception;
        String className = error.getExceptionClassName();
        if (control.stopRequested() && (className.equals("java.lang.InterruptedException")
                || className.equals("java.util.concurrent.CancellationException")
                || className.equals("java.lang.ThreadDeath"))) {
            return interrupted(where);
        }
        List<String> traceback = new ArrayList<>();
        appendTrace(traceback, error, "");
        if (className.equals("java.lang.OutOfMemoryError")) {
            long maxMb = Runtime.getRuntime().maxMemory() >> 20;
            traceback.add("The kernel's heap is limited to " + maxMb + " MB. Set big variables to null, or raise -Xmx in "
                    + "the kernelspec's kernel.json (see `jupyter kernelspec list`) and restart the kernel.");
        }
        String simpleName = className.substring(Math.max(className.lastIndexOf('.'), className.lastIndexOf('$')) + 1);
        return new CellError(simpleName, error.getMessage() == null ? "" : error.getMessage(), traceback);
    }

    private void appendTrace(List<String> traceback, EvalException error, String prefix) {
        String message = error.getMessage();
        traceback.add(prefix + error.getExceptionClassName() + (message == null ? "" : ": " + message));
        appendFrames(traceback, error.getStackTrace());
        if (error.getCause() instanceof EvalException cause && traceback.size() < 4 * MAX_FRAMES) {
            appendTrace(traceback, cause, "Caused by: ");
        }
    }

    private void appendFrames(List<String> traceback, StackTraceElement[] frames) {
        int first = 0;
        while (first < frames.length && frames[first].getClassName().equals(ExitRefusedException.class.getName())) {
            first++;   // the guard that replaced System.exit is ours, not the cell's
        }
        int shown = Math.min(frames.length - first, MAX_FRAMES);
        for (int i = first; i < first + shown; i++) {
            traceback.add("    at " + frame(frames[i]));
        }
        if (frames.length - first > shown) {
            traceback.add("    ... " + (frames.length - first - shown) + " more");
        }
    }

    /** A frame of cell code reads {@code f (In[3] line 2)}; other frames read as Java prints them. */
    private String frame(StackTraceElement element) {
        String file = element.getFileName();
        if (file == null || !file.startsWith("#")) {
            return element.toString();
        }
        Origin origin = origins.get(file.substring(1));
        String location = origin == null
                ? "snippet " + file + " line " + element.getLineNumber()
                : origin.where() + " line " + (origin.firstLine() + Math.max(1, element.getLineNumber()) - 1);
        String owner = element.getClassName();
        String method = element.getMethodName();
        String name = owner.isEmpty() ? method : method.isEmpty() ? owner : owner + "." + method;
        return name.isEmpty() ? location : name + " (" + location + ")";
    }

    /** Redefining something JShell re-creates or invalidates what depends on it; say so instead of staying silent. */
    private void warnAboutDependents(SnippetEvent primary, List<SnippetEvent> events) {
        for (SnippetEvent event : events) {
            if (event == primary || event.causeSnippet() == null
                    || !(event.snippet() instanceof DeclarationSnippet dependent)) {
                continue;
            }
            Status status = event.status();
            String cause = describe(event.causeSnippet());
            if (dependent instanceof VarSnippet variable && status == Status.VALID) {
                warn("Warning: variable " + variable.name() + " (" + variable.typeName() + ") was reset to "
                        + defaultValue(variable.typeName()) + " because " + cause + " changed and JShell re-created it "
                        + "without re-running its initializer. Re-run the cell that sets it.");
            } else if (status == Status.RECOVERABLE_DEFINED || status == Status.RECOVERABLE_NOT_DEFINED) {
                warn("Warning: " + describe(dependent) + " cannot be used until " + unresolved(dependent)
                        + " is defined (after " + cause + " changed).");
            } else if (status == Status.REJECTED) {
                warn("Warning: " + describe(dependent) + " no longer compiles after " + cause + " changed.");
            }
        }
    }

    private String unresolved(DeclarationSnippet snippet) {
        String names = shell.unresolvedDependencies(snippet).collect(Collectors.joining(", "));
        return names.isEmpty() ? "what it refers to" : names;
    }

    private static String describe(Snippet snippet) {
        if (snippet instanceof TypeDeclSnippet type) {
            String kind = switch (type.subKind()) {
                case INTERFACE_SUBKIND -> "interface";
                case ENUM_SUBKIND -> "enum";
                case ANNOTATION_TYPE_SUBKIND -> "annotation";
                case RECORD_SUBKIND -> "record";
                default -> "class";
            };
            return kind + " " + type.name();
        }
        if (snippet instanceof MethodSnippet method) {
            return "method " + method.name() + "(" + method.parameterTypes() + ")";
        }
        if (snippet instanceof VarSnippet variable) {
            return "variable " + variable.name();
        }
        if (snippet instanceof ImportSnippet importSnippet) {
            return "import " + importSnippet.fullname();
        }
        return "snippet `" + snippet.source().strip().lines().findFirst().orElse("") + "`";
    }

    private static String defaultValue(String typeName) {
        return switch (typeName) {
            case "boolean" -> "false";
            case "byte", "short", "int", "long", "char" -> "0";
            case "float", "double" -> "0.0";
            default -> "null";
        };
    }

    private static void warn(String message) {
        System.err.println(message);
        System.err.flush();
    }

    static int lineOf(String text, int position) {
        int line = 1;
        for (int i = 0; i < Math.min(position, text.length()); i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    // ---------------------------------------------------------------- completion and inspection

    /** The code around {@code cursor}: its snippet's text, and where that text starts in the cell. */
    private record Located(String text, int start, Piece magic) {
    }

    private Located locate(String cell, int cursor) {
        for (Piece piece : pieces(cell)) {
            int end = piece.start() + piece.text().length();
            if (cursor < piece.start() || cursor > end) {
                continue;
            }
            if (piece.magic()) {
                return new Located(piece.text(), piece.start(), piece);
            }
            for (Source source : snippets(piece.text(), piece.start())) {
                if (cursor >= source.start() && cursor <= source.end()) {
                    return new Located(cell.substring(source.start(), source.end()), source.start(), null);
                }
            }
        }
        return new Located("", cursor, null);   // between snippets
    }

    Completion complete(String cell, int cursor, Set<String> magicNames) {
        Located at = locate(cell, cursor);
        if (at.magic() != null) {
            Matcher m = Pattern.compile("[ \\t]*%([\\w-]*)").matcher(at.text());
            if (m.lookingAt() && cursor <= at.start() + m.end()) {
                String typed = m.group(1);
                List<String> names = magicNames.stream().filter(n -> n.startsWith(typed)).sorted().toList();
                return new Completion(names, at.start() + m.start(1), at.start() + m.end());
            }
            return new Completion(List.of(), cursor, cursor);
        }
        int[] anchor = new int[1];
        List<Suggestion> suggestions = analysis.completionSuggestions(at.text(), cursor - at.start(), anchor);
        Set<String> options = new LinkedHashSet<>();
        suggestions.stream().filter(Suggestion::matchesType).forEach(s -> options.add(s.continuation()));
        suggestions.forEach(s -> options.add(s.continuation()));
        return new Completion(List.copyOf(options), at.start() + anchor[0], cursor);
    }

    /** Signatures (and with {@code detail} the javadoc, where the JDK has sources) of what is at the cursor, or null. */
    String inspect(String cell, int cursor, boolean detail) {
        Located at = locate(cell, cursor);
        String text = at.text();
        int position = Math.min(Math.max(0, cursor - at.start()), text.length());
        List<Documentation> docs = analysis.documentation(text, position, detail);
        int end = position;
        while (end < text.length() && Character.isJavaIdentifierPart(text.charAt(end))) {
            end++;
        }
        if (docs.isEmpty() && end > 0) {
            int paren = end;
            while (paren < text.length() && Character.isWhitespace(text.charAt(paren))) {
                paren++;
            }
            docs = paren < text.length() && text.charAt(paren) == '('
                    ? analysis.documentation(text, paren + 1, detail)
                    : analysis.documentation(text.substring(0, end) + "(", end + 1, detail);
        }
        if (!docs.isEmpty()) {
            return docs.stream()
                    .map(d -> d.signature() + (detail && d.javadoc() != null ? "\n" + d.javadoc().strip() + "\n" : ""))
                    .distinct()
                    .collect(Collectors.joining("\n"));
        }
        int start = end;
        while (start > 0 && (Character.isJavaIdentifierPart(text.charAt(start - 1)) || text.charAt(start - 1) == '.')) {
            start--;
        }
        if (start == end) {
            return null;
        }
        String type = analysis.analyzeType(text.substring(0, end), end);
        return type == null ? null : text.substring(start, end) + " : " + type;
    }

    /** "complete", "invalid", or the indent for the next line when the cell's code is unfinished. */
    String isComplete(String cell) {
        for (Piece piece : pieces(cell)) {
            if (piece.magic()) {
                continue;
            }
            String rest = piece.text();
            while (!rest.isBlank()) {
                CompletionInfo info = analysis.analyzeCompletion(rest);
                switch (info.completeness()) {
                    case DEFINITELY_INCOMPLETE, CONSIDERED_INCOMPLETE -> {
                        return indentAfter(cell);
                    }
                    case UNKNOWN -> {
                        return "invalid";
                    }
                    default -> {
                    }
                }
                if (info.remaining() == null || info.remaining().length() >= rest.length()) {
                    break;
                }
                rest = info.remaining();
            }
        }
        return "complete";
    }

    private static String indentAfter(String cell) {
        String lastLine = cell.substring(cell.lastIndexOf('\n') + 1);
        String indent = lastLine.substring(0, lastLine.length() - lastLine.stripLeading().length());
        String trimmed = lastLine.strip();
        return trimmed.endsWith("{") || trimmed.endsWith("(") ? indent + "    " : indent;
    }
}
