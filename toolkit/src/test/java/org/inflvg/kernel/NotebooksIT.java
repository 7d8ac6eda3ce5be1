package org.inflvg.kernel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Executes every {@code notebooks/*.ipynb} with the InfLVG kernel through {@code jupyter nbconvert --execute}, as a
 * reader would run it top to bottom, with {@code INFLVG_SMALL=1} so that notebooks shrink their work. A cell tagged
 * {@code raises-exception} may fail; any other error fails the notebook. Executed copies go to
 * {@code toolkit/target/notebooks/}.
 */
class NotebooksIT {

    private static final Duration PER_NOTEBOOK = Duration.ofMinutes(20);

    @TempDir
    static Path temp;

    @TestFactory
    Stream<DynamicTest> everyNotebookRunsTopToBottom() throws IOException {
        Path notebooks = JupyterTestSupport.repoRoot().resolve("notebooks");
        List<Path> found;
        try (Stream<Path> files = Files.list(notebooks)) {
            found = files.filter(p -> p.toString().endsWith(".ipynb")).sorted().toList();
        }
        assertFalse(found.isEmpty(), "no notebooks in " + notebooks);
        return found.stream().map(nb -> DynamicTest.dynamicTest(nb.getFileName().toString(), () -> execute(nb)));
    }

    /** `jupyter nbconvert`, or `python -m nbconvert` where the jupyter-nbconvert script is not installed (Debian). */
    private static List<String> nbconvert(Path jupyter) throws IOException {
        if (Files.isExecutable(jupyter.resolveSibling("jupyter-nbconvert"))) {
            return List.of(jupyter.toString(), "nbconvert");
        }
        return List.of(JupyterTestSupport.pythonOf(jupyter), "-m", "nbconvert");
    }

    private void execute(Path notebook) throws IOException, InterruptedException {
        Path jupyter = JupyterTestSupport.jupyter();
        Path jupyterPath = temp.resolve("jupyter");
        if (!Files.exists(jupyterPath.resolve("kernels/inflvg/kernel.json"))) {
            JupyterTestSupport.installKernel(jupyterPath);
        }
        Map<String, String> env = JupyterTestSupport.jupyterEnvironment(jupyterPath);
        Path outputDir = Files.createDirectories(JupyterTestSupport.repoRoot().resolve("toolkit/target/notebooks"));
        String name = notebook.getFileName().toString();
        Path log = outputDir.resolve(name.replace(".ipynb", ".log"));
        List<String> command = new ArrayList<>(nbconvert(jupyter));
        command.addAll(List.of("--to", "notebook", "--execute", notebook.toString(), "--output-dir", outputDir.toString(),
                "--ExecutePreprocessor.timeout=600", "--ExecutePreprocessor.startup_timeout=120",
                "--ExecutePreprocessor.kernel_name=inflvg"));
        JupyterTestSupport.Result result = JupyterTestSupport.run(command, env, notebook.getParent(), PER_NOTEBOOK, log);
        assertEquals(0, result.exitCode(), () -> name + " failed (log: " + log + "):\n" + result.tail(8000));

        Path executed = outputDir.resolve(name);
        assertTrue(Files.exists(executed), "nbconvert wrote no " + executed);
        List<String> unexpected = new ArrayList<>();
        JsonNode cells = new ObjectMapper().readTree(executed.toFile()).path("cells");
        for (int i = 0; i < cells.size(); i++) {
            JsonNode cell = cells.get(i);
            boolean mayFail = cell.path("metadata").path("tags").toString().contains("\"raises-exception\"");
            for (JsonNode output : cell.path("outputs")) {
                if (output.path("output_type").asText().equals("error") && !mayFail) {
                    unexpected.add("cell " + i + ": " + output.path("ename").asText() + ": " + output.path("evalue").asText());
                }
            }
        }
        assertTrue(unexpected.isEmpty(), name + " has errors in cells not tagged raises-exception: " + unexpected);
    }
}
