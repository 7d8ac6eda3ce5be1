package org.inflvg.kernel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The kernel as Jupyter sees it: installs the kernelspec into a private JUPYTER_PATH, drives it with jupyter_client
 * (kernel_protocol.py) through one session, and checks each step of what the script recorded.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KernelProtocolIT {

    private JsonNode session;

    @BeforeAll
    void driveOneSession(@TempDir Path temp) throws IOException, InterruptedException {
        Path jupyter = JupyterTestSupport.jupyter();
        Path jupyterPath = JupyterTestSupport.installKernel(temp.resolve("jupyter"));
        Path script = temp.resolve("kernel_protocol.py");
        try (InputStream in = KernelProtocolIT.class.getResourceAsStream("kernel_protocol.py")) {
            Files.write(script, in.readAllBytes());
        }
        Path out = temp.resolve("session.json");
        JupyterTestSupport.Result result = JupyterTestSupport.run(
                List.of(JupyterTestSupport.pythonOf(jupyter), script.toString(), "inflvg", out.toString()),
                JupyterTestSupport.jupyterEnvironment(jupyterPath), temp, Duration.ofMinutes(8),
                temp.resolve("driver.log"));
        if (!Files.exists(out)) {
            fail("the jupyter_client driver wrote no results (exit " + result.exitCode() + "):\n" + result.tail(6000));
        }
        session = new ObjectMapper().readTree(out.toFile());
        Path report = Files.createDirectories(JupyterTestSupport.repoRoot().resolve("toolkit/target"))
                .resolve("kernel-protocol-session.json");
        Files.writeString(report, session.toPrettyString());
        System.out.printf(Locale.ROOT, "kernel start -> first cell result: %.2f s (kernel_info answered after %.2f s)%n",
                session.path("first_result_seconds").asDouble(), session.path("ready_seconds").asDouble());
    }

    private JsonNode step(String name) {
        JsonNode step = session.path(name);
        assertFalse(step.isMissingNode(), "the driver did not reach step " + name);
        assertFalse(step.has("exception"), () -> name + " failed in the driver: " + step.path("trace").asText());
        return step;
    }

    private static List<JsonNode> outputs(JsonNode run, String type) {
        List<JsonNode> found = new ArrayList<>();
        run.path("outputs").forEach(o -> {
            if (o.path("type").asText().equals(type)) {
                found.add(o.path("content"));
            }
        });
        return found;
    }

    private static String stream(JsonNode run, String name) {
        StringBuilder text = new StringBuilder();
        outputs(run, "stream").stream().filter(c -> c.path("name").asText().equals(name))
                .forEach(c -> text.append(c.path("text").asText()));
        return text.toString();
    }

    private static void assertResult(String expected, JsonNode run) {
        assertEquals("ok", run.path("reply").path("status").asText(), run.toString());
        List<JsonNode> results = outputs(run, "execute_result");
        assertEquals(1, results.size(), run.toString());
        assertEquals(expected, results.get(0).path("data").path("text/plain").asText());
    }

    private static void assertError(String ename, JsonNode run) {
        JsonNode reply = run.path("reply");
        assertEquals("error", reply.path("status").asText(), run.toString());
        assertEquals(ename, reply.path("ename").asText(), run.toString());
        assertEquals(1, outputs(run, "error").size(), "one error output: " + run);
    }

    @Test
    void firstCellGivesItsResult() {
        assertResult("2", step("one_plus_one"));
        assertTrue(session.path("first_result_seconds").asDouble() < 60, "started within a minute");
    }

    @Test
    void compileErrorReplyNamesLineAndMessage() {
        JsonNode run = step("compile_error");
        assertError("CompilationError", run);
        assertEquals("line 3: cannot find symbol", run.path("reply").path("evalue").asText());
        assertTrue(run.path("reply").path("traceback").toString().contains("int c = nope + 1;"), run.toString());
    }

    @Test
    void exceptionReplyHasTheCellsShortTrace() {
        JsonNode run = step("exception");
        assertError("ArithmeticException", run);
        assertEquals("/ by zero", run.path("reply").path("evalue").asText());
        String trace = run.path("reply").path("traceback").toString();
        assertTrue(trace.contains("at div (In[3] line 2)"), trace);
        assertFalse(trace.contains("org.inflvg.kernel") || trace.contains("reflect"), trace);
    }

    @Test
    void completionAndInspection() {
        JsonNode complete = step("complete");
        assertTrue(complete.path("matches").toString().contains("\"println(\""), complete.toString());
        assertEquals(11, complete.path("cursor_start").asInt());
        JsonNode inspect = step("inspect");
        assertTrue(inspect.path("found").asBoolean(), inspect.toString());
        assertTrue(inspect.path("data").path("text/plain").asText().contains("int Math.max(int a, int b)"));
        JsonNode isComplete = step("is_complete");
        assertEquals("incomplete", isComplete.path("open").path("status").asText());
        assertEquals("complete", isComplete.path("done").path("status").asText());
    }

    @Test
    void interruptStopsASleepingCellAndTheKernelGoesOn() {
        JsonNode run = step("interrupt_sleep");
        assertError("Interrupted", run);
        assertTrue(run.path("interrupt_to_reply_seconds").asDouble() < 10, run.toString());
        assertResult("5", run.path("after"));
    }

    @Test
    void interruptOfATightLoopEndsItOrSaysARestartIsNeeded() {
        JsonNode run = step("interrupt_tight");
        // Java 17-19 can force the thread to stop; later JVMs cannot, and the kernel then says so plainly
        String ename = run.path("reply").path("ename").asText();
        assertTrue(ename.equals("Interrupted") || ename.equals("CellDidNotStop"), run.toString());
        assertTrue(run.path("interrupt_to_reply_seconds").asDouble() < 15, run.toString());
        assertResult("5", run.path("after"));
    }

    @Test
    void systemExitIsRefusedAndTheKernelStaysAlive() {
        JsonNode run = step("exit");
        assertError("ExitRefusedException", run);
        assertEquals("before\n", stream(run, "stdout"), "output before the refused call streams");
        assertTrue(run.path("reply").path("evalue").asText().contains("would end the kernel's JVM"));
        assertError("ExitRefusedException", run.path("runtime"));
        assertResult("3", run.path("after"));
        assertTrue(run.path("alive").asBoolean());
    }

    @Test
    void bufferedImageRendersAsPng() {
        JsonNode result = outputs(step("image"), "execute_result").get(0);
        byte[] png = Base64.getDecoder().decode(result.path("data").path("image/png").asText());
        assertEquals('P', png[1]);
        assertEquals('N', png[2]);
        assertEquals('G', png[3]);
    }

    @Test
    void streamsAndDisplayComeBeforeTheResult() {
        JsonNode run = step("stream_and_display");
        assertEquals("hello\n", stream(run, "stdout"));
        List<JsonNode> displays = outputs(run, "display_data");
        assertEquals(1, displays.size(), run.toString());
        assertEquals("shown", displays.get(0).path("data").path("text/plain").asText());
        assertFalse(displays.get(0).path("transient").path("display_id").asText().isEmpty());
        assertResult("last", run);
    }

    @Test
    void redefinitionWarnsWhichVariableWasReset() {
        JsonNode runs = step("redefinition");
        String warning = stream(runs.get(2), "stderr");
        assertTrue(warning.contains("variable box (Box) was reset to null because class Box changed"), runs.toString());
    }

    @Test
    void outputStreamsWhileTheCellStillRuns() {
        JsonNode run = step("streaming");
        JsonNode early = outputs(run, "stream").get(0);
        double streamedAt = run.path("outputs").get(0).path("t").asDouble();
        double resultAt = run.path("outputs").get(run.path("outputs").size() - 1).path("t").asDouble();
        assertEquals("early\n", early.path("text").asText());
        assertTrue(resultAt - streamedAt > 1.5, "stdout arrived " + streamedAt + " s, the result " + resultAt + " s after the request");
    }

    @Test
    void progressIsOneLineUpdatedInPlace() {
        JsonNode run = step("progress");
        List<JsonNode> shown = outputs(run, "display_data");
        List<JsonNode> updates = outputs(run, "update_display_data");
        assertEquals(1, shown.size(), run.toString());
        assertFalse(updates.isEmpty(), run.toString());
        String id = shown.get(0).path("transient").path("display_id").asText();
        assertFalse(id.isEmpty());
        updates.forEach(u -> assertEquals(id, u.path("transient").path("display_id").asText()));
        String last = updates.get(updates.size() - 1).path("data").path("text/plain").asText();
        assertTrue(last.contains("steps 3/3 (100%)") && last.endsWith("done"), last);
    }

    @Test
    void aFailingMagicIsAnErrorReply() {
        JsonNode run = step("magic");
        assertError("MagicError", run);
        assertTrue(run.path("reply").path("evalue").asText().contains("no such file or folder"), run.toString());
    }
}
