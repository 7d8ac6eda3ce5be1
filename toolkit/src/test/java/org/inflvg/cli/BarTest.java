package org.inflvg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A command closes its progress bar before printing results; the try-with-resources close must not draw it again. */
class BarTest {

    @Test
    void theCloseAfterTheResultsDrawsNothing() {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        String afterFirstClose;
        try (BenchCommand.Bar bar = BenchCommand.bar("task", 3, new PrintStream(captured, true, StandardCharsets.UTF_8))) {
            bar.pb().stepTo(3);
            bar.close();
            afterFirstClose = captured.toString(StandardCharsets.UTF_8);
        }
        assertTrue(afterFirstClose.contains("3/3"), "the first close draws the finished bar: " + afterFirstClose);
        assertEquals(afterFirstClose, captured.toString(StandardCharsets.UTF_8), "the second close draws nothing");
    }
}
