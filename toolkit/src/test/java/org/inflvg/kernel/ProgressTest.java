package org.inflvg.kernel;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressTest {

    @AfterEach
    void restoreSink() {
        ProgressSink.install(null);
        Thread.interrupted();
    }

    @Test
    void theInstalledSinkSeesStartAndFinishButNotEveryStep() {
        List<String> seen = new ArrayList<>();
        ProgressSink.install(p -> seen.add(p.done() + "/" + p.total() + (p.finished() ? " done" : "")));
        try (Progress progress = Notebook.progress("work", 1000)) {
            for (int i = 0; i < 1000; i++) {
                progress.step();
            }
        }
        assertEquals("0/1000", seen.get(0));
        assertEquals("1000/1000 done", seen.get(seen.size() - 1));
        assertTrue(seen.size() <= 4, "throttled, got " + seen);
    }

    @Test
    void stepStopsWorkWhoseThreadWasInterrupted() {
        Progress progress = Progress.start("generate", 10);
        progress.step();
        Thread.currentThread().interrupt();
        CancellationException stopped = assertThrows(CancellationException.class, progress::step);
        assertTrue(stopped.getMessage().contains("generate was interrupted after 1/10"), stopped.getMessage());
    }

    @Test
    void withoutAKernelNothingIsInstalled() {
        assertSame(ProgressSink.NONE, ProgressSink.installed());
        assertThrows(IllegalArgumentException.class, () -> Progress.start(" ", 3));
    }

    @Test
    void theNotebookLineShowsABarAndTheCounts() {
        Progress progress = Progress.start("bench", 4);
        progress.step(2);
        String text = String.valueOf(NotebookProgressSink.render(progress)
                .getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_PLAIN));
        assertTrue(text.startsWith("[############............] bench 2/4 (50%)"), text);
    }
}
