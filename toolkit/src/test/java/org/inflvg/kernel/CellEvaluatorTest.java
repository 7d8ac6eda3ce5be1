package org.inflvg.kernel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JShell layer without Jupyter: one JShell for the class, because starting one takes seconds. */
class CellEvaluatorTest {

    private static CellEvaluator cells;
    private static int count;

    @BeforeAll
    static void startJShell() {
        cells = new CellEvaluator(testClassPath(), (name, args) -> {
            if (name.equals("echo")) {
                return String.join(",", args);
            }
            throw new IllegalArgumentException("there is no line magic %" + name);
        });
        assertEquals(List.of(), cells.evalStartup(InfLvgKernel.bundledStartupScript(), "startup.jsh"),
                "the bundled startup script evaluates cleanly");
    }

    @AfterAll
    static void closeJShell() {
        cells.close();
    }

    /** Surefire runs tests from a manifest-only jar; JShell's compiler needs the real entries. */
    static String testClassPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    private static Object eval(String cell) {
        return cells.evalCell(cell, "In[" + (++count) + "]");
    }

    private static CellError failing(String cell) {
        return assertThrows(CellError.class, () -> eval(cell));
    }

    private static String stderrOf(Runnable action) {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theLastExpressionOfACellIsItsValueAsAnObject() {
        assertEquals(42, eval("int a = 2;\nint b = a * 21;\nb"));
        Object builder = eval("var sb = new StringBuilder(\"x\");\nsb.append(\"y\");\nsb");
        assertInstanceOf(StringBuilder.class, builder);
        assertEquals("xy", builder.toString());
        assertEquals(List.of("k"), eval("var list = new ArrayList<String>();\nlist.add(\"k\");\nlist"));
    }

    @Test
    void declarationsAndStatementsHaveNoValue() {
        assertNull(eval("int declared = 3;"));
        assertNull(eval("System.out.println(\"printed\")"));
        assertNull(eval("// only a comment"));
    }

    @Test
    void aCompileErrorNamesTheCellLineAndJavacsMessage() {
        CellError error = failing("int fine = 1;\n\nString s = 42;");
        assertEquals("CompilationError", error.ename());
        assertTrue(error.evalue().startsWith("line 3: incompatible types"), error.evalue());
        assertTrue(error.traceback().get(0).startsWith("In[" + count + "] line 3: error: incompatible types"),
                error.traceback().toString());
        assertEquals("    String s = 42;", error.traceback().get(1));
        assertEquals("               ^", error.traceback().get(2));
    }

    @Test
    void anExceptionShowsTheCellsFramesAndNotTheKernels() {
        CellError error = failing("void boom(int n) {\n  if (n == 0) throw new IllegalStateException(\"empty\");\n"
                + "  boom(n - 1);\n}\nboom(2);");
        assertEquals("IllegalStateException", error.ename());
        assertEquals("empty", error.evalue());
        List<String> trace = error.traceback();
        assertEquals("java.lang.IllegalStateException: empty", trace.get(0));
        assertEquals("    at boom (In[" + count + "] line 2)", trace.get(1));
        assertEquals("    at boom (In[" + count + "] line 3)", trace.get(2));
        assertEquals("    at In[" + count + "] line 5", trace.get(trace.size() - 1));
        assertTrue(trace.stream().noneMatch(l -> l.contains("org.inflvg.kernel") || l.contains("reflect")), trace.toString());
    }

    @Test
    void causesAreListed() {
        CellError error = failing("throw new RuntimeException(\"outer\", new java.io.IOException(\"inner\"));");
        assertTrue(error.traceback().contains("Caused by: java.io.IOException: inner"), error.traceback().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "System.exit(3)",
            "Runtime.getRuntime().exit(4)",
            "Runtime.getRuntime().halt(5)",
            "java.util.function.IntConsumer quit = System::exit;\nquit.accept(6)",
            "Runtime rt = Runtime.getRuntime();\njava.util.function.IntConsumer bye = rt::exit;\nbye.accept(7)",
            "void leave() { System.exit(8); }\nleave()",
            "class Quitter { void quit() { Runtime.getRuntime().exit(9); } }\nnew Quitter().quit()",
    })
    void exitingTheJvmIsRefusedBeforeItRuns(String cell) {
        CellError error = failing(cell);
        assertEquals("ExitRefusedException", error.ename());
        assertTrue(error.evalue().contains("would end the kernel's JVM"), error.evalue());
        assertEquals(2, eval("1 + 1"), "still alive");
    }

    @Test
    void exitRewritingKeepsSwitchesAndOtherCodeIntact() {
        eval("int pick(int k) {\n  switch (k) {\n    case 1: return 10;\n    case 2: return 20;\n    case 3: return 30;\n"
                + "    default: Runtime.getRuntime().exit(k); return 0;\n  }\n}\n"
                + "long sparse(int k) {\n  switch (k) { case 100: return 1L; case 100000: return 2L; default: "
                + "for (int i = 0; i < 3; i++) { k += i; } if (k < 0) Runtime.getRuntime().halt(1); return k; }\n}");
        assertEquals(20, eval("pick(2)"));
        assertEquals(2L, eval("sparse(100000)"));
        assertEquals(10L, eval("sparse(7)"));
        assertEquals("ExitRefusedException", failing("pick(9)").ename());
    }

    @Test
    @Timeout(30)
    void anInterruptStopsASleepingCellAndTheNextCellRuns() throws Exception {
        CellError error = interruptAfterStart("while (true) { Thread.sleep(10); }");
        assertEquals("Interrupted", error.ename());
        assertEquals(5, eval("2 + 3"));
    }

    @Test
    @Timeout(30)
    void anInterruptStopsATightLoopWhereTheJvmCanForceIt() throws Exception {
        CellError error = interruptAfterStart("long spins = 0;\nwhile (true) { spins++; }");
        if (Runtime.version().feature() < 20) {
            assertEquals("Interrupted", error.ename(), "Thread.stop works up to Java 19");
        } else {
            assertEquals("CellDidNotStop", error.ename());
        }
        assertEquals(5, eval("2 + 3"));
    }

    @Test
    @Timeout(30)
    void aCellThatIgnoresInterruptsIsReportedInsteadOfWaitedFor() throws Exception {
        long start = System.nanoTime();
        CellError error = interruptAfterStart(
                "while (true) { try { Thread.sleep(5); } catch (Throwable ignored) { } }");
        assertEquals("CellDidNotStop", error.ename());
        assertTrue(error.evalue().contains("Restart the kernel"), error.evalue());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(15), "gave up within seconds");
        String warning = stderrOf(() -> assertEquals(5, eval("2 + 3")));
        assertTrue(warning.contains("still running in the background"), warning);
    }

    private static CellError interruptAfterStart(String cell) throws Exception {
        String where = "In[" + (++count) + "]";
        CompletableFuture<Object> running = CompletableFuture.supplyAsync(() -> cells.evalCell(cell, where));
        Thread.sleep(1500);
        cells.interrupt();
        try {
            running.get(20, TimeUnit.SECONDS);
            throw new AssertionError("the cell ended without an error");
        } catch (ExecutionException e) {
            return assertInstanceOf(CellError.class, e.getCause());
        }
    }

    @Test
    void redefiningAClassWarnsAboutTheVariablesItReset() {
        eval("class Cup { int v = 1; }");
        eval("Cup cup = new Cup();");
        String warning = stderrOf(() -> eval("class Cup { int v = 2; int w; }"));
        assertTrue(warning.contains("variable cup (Cup) was reset to null because class Cup changed"), warning);
        assertNull(eval("cup"));
    }

    @Test
    void aMethodWithMissingPartsIsExplained() {
        String note = stderrOf(() -> eval("void later() { notYet(); }"));
        assertTrue(note.contains("method later() is defined, but cannot be used until"), note);
        CellError error = failing("later()");
        assertEquals("UnresolvedReference", error.ename());
        assertTrue(error.evalue().contains("notYet"), error.evalue());
    }

    @Test
    void lineMagicsRunInOrderWithTheCode() {
        assertEquals("a,b c", eval("int beforeMagic = 1;\n%echo a \"b c\""));
        assertEquals(2, eval("%echo x\nbeforeMagic + 1"));
        CellError error = failing("%nope 1");
        assertEquals("MagicError", error.ename());
        assertTrue(error.evalue().contains("there is no line magic %nope"), error.evalue());
    }

    @Test
    void aPercentLineInsideUnfinishedCodeIsCode() {
        assertEquals("%echo no\n", eval("String block = \"\"\"\n%echo no\n\"\"\";\nblock"));
    }

    @Test
    void completionWorksOnTheSnippetUnderTheCursor() {
        String cell = "int q = 1;\nMath.ab";
        CellEvaluator.Completion completion = cells.complete(cell, cell.length(), java.util.Set.of());
        assertTrue(completion.options().contains("abs("), completion.options().toString());
        assertEquals(cell.length() - 2, completion.start());
        assertEquals(cell.length(), completion.end());
        CellEvaluator.Completion magic = cells.complete("%cla", 4, java.util.Set.of("classpath", "jars", "load"));
        assertEquals(List.of("classpath"), magic.options());
        assertEquals(1, magic.start());
    }

    @Test
    void inspectionShowsSignaturesOrTheType() {
        assertTrue(cells.inspect("Math.max(1, 2)", 6, false).contains("int Math.max(int a, int b)"));
        eval("var words = List.of(\"a\");");
        assertEquals("words : List<String>", cells.inspect("words", 2, false));
    }

    @Test
    void isCompleteAsksForMoreOnlyWhenTheCodeIsUnfinished() {
        assertEquals("    ", cells.isComplete("for (int i = 0; i < 3; i++) {"));
        assertEquals("complete", cells.isComplete("int x = 1;\nx + 1"));
        assertEquals("invalid", cells.isComplete("\"abc"));
        assertEquals("complete", cells.isComplete("%classpath lib"));
    }

    @Test
    void magicArgumentsSplitAtBlanksWithQuotes() {
        assertEquals(List.of("a", "b c", "d\"e"), CellEvaluator.splitArguments(" a \"b c\"  d\\\"e "));
    }

    @Test
    void loadRunsAScriptAndAJavaFileWithoutItsPackage(@TempDir Path dir) throws IOException {
        Path script = Files.writeString(dir.resolve("setup.jsh"), "int loadedA = 5;\nint loadedB = loadedA + 1;\n");
        Path source = Files.writeString(dir.resolve("Helper.java"),
                "package some.pkg;\n\npublic class Helper { public static int twice(int x) { return 2 * x; } }\n");
        eval("%echo warm");   // a cell must be running for %load, as in the kernel
        Supplier<Object> loadBoth = () -> {
            try {
                Magics.load(cells, List.of(script.toString()));
                Magics.load(cells, List.of(source.toString()));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            return null;
        };
        loadBoth.get();
        assertEquals(12, eval("Helper.twice(loadedB)"));
    }

    @Test
    void classpathMagicMakesNewClassesUsable(@TempDir Path dir) throws IOException {
        Path source = Files.writeString(Files.createDirectories(dir.resolve("src/extra")).resolve("Extra.java"),
                "package extra; public class Extra { public String hello() { return \"hi from extra\"; } }");
        Path classes = Files.createDirectories(dir.resolve("classes"));
        int javac = javax.tools.ToolProvider.getSystemJavaCompiler()
                .run(null, null, null, "-d", classes.toString(), source.toString());
        assertEquals(0, javac);
        assertEquals("CompilationError", failing("new extra.Extra()").ename());
        Magics.classpath(cells, List.of(classes.toString()));
        assertEquals("hi from extra", eval("new extra.Extra().hello()"));
        assertThrows(IllegalArgumentException.class, () -> Magics.classpath(cells, List.of(dir.resolve("missing").toString())));
    }

    @Test
    void startupProblemsAreCollectedAndTheRestStillRuns() {
        List<String> problems = cells.evalStartup("import no.such.pkg.*;\nint afterBadImport = 4;", "bad.jsh");
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("package no.such.pkg does not exist"), problems.get(0));
        assertEquals(4, eval("afterBadImport"));
    }

    @Test
    void jarsGlobFindsOnlyJars(@TempDir Path dir) throws IOException {
        Files.createFile(dir.resolve("a.jar"));
        Files.createFile(dir.resolve("b.jar"));
        Files.createFile(dir.resolve("notes.txt"));
        Files.createDirectories(dir.resolve("sub"));
        Files.createFile(dir.resolve("sub/c.jar"));
        assertEquals(2, Magics.glob(dir + "/*.jar").size());
        assertEquals(3, Magics.glob(dir + "/**.jar").size());
        assertEquals(List.of(), Magics.glob(dir + "/none/*.jar"));
    }
}
