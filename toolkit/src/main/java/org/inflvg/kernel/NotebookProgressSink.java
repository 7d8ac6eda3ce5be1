package org.inflvg.kernel;

import org.dflib.jjava.jupyter.kernel.display.DisplayData;

import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The kernel's {@link ProgressSink}: one output line per task, first shown with {@code display_data} and then
 * replaced in place with {@code update_display_data} under the same display id.
 */
final class NotebookProgressSink implements ProgressSink {

    private static final int BAR_WIDTH = 24;

    private final InfLvgKernel kernel;
    private final Map<Progress, String> displayIds = new ConcurrentHashMap<>();

    NotebookProgressSink(InfLvgKernel kernel) {
        this.kernel = kernel;
    }

    @Override
    public void update(Progress progress) {
        String id = displayIds.get(progress);
        DisplayData line = render(progress);
        if (id == null) {
            id = UUID.randomUUID().toString();
            displayIds.put(progress, id);
            line.setDisplayId(id);
            kernel.getIO().display.display(line);
        } else {
            kernel.getIO().display.updateDisplay(id, line);
        }
        if (progress.finished()) {
            displayIds.remove(progress);
        }
    }

    static DisplayData render(Progress progress) {
        DisplayData data = new DisplayData();
        double fraction = progress.fraction();
        String bar = fraction < 0 ? "" : bar(fraction) + " ";
        data.putText(bar + progress);
        String meter = fraction < 0
                ? "<progress></progress>"
                : String.format(Locale.ROOT, "<progress value=\"%d\" max=\"%d\"></progress>", progress.done(), progress.total());
        data.putHTML("<div style=\"font-family:monospace\">" + meter + " "
                + Renderers.escape(progress.toString()) + "</div>");
        return data;
    }

    private static String bar(double fraction) {
        int full = (int) Math.round(fraction * BAR_WIDTH);
        return "[" + "#".repeat(full) + ".".repeat(BAR_WIDTH - full) + "]";
    }
}
