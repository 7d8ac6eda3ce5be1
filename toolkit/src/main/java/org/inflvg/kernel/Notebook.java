package org.inflvg.kernel;

import org.dflib.jjava.jupyter.kernel.display.DisplayData;

import java.util.UUID;

/**
 * What a notebook cell calls on the kernel; the startup script imports these statically, so a cell writes
 * {@code display(image)}. Outside the kernel (plain {@code inflvg jshell}) {@code display} prints the value's text.
 */
public final class Notebook {

    private Notebook() {
    }

    /**
     * Shows {@code value} in the cell's output now (as the kernel renders a cell's last value: images and charts as
     * PNG, tables as HTML, {@link Displayable}s as they choose) and returns the id that {@link #updateDisplay} needs.
     */
    public static String display(Object value) {
        String id = UUID.randomUUID().toString();
        InfLvgKernel kernel = InfLvgKernel.running();
        if (kernel == null) {
            System.out.println(value);
            return id;
        }
        DisplayData data = kernel.render(value);
        data.setDisplayId(id);
        kernel.getIO().display.display(data);
        return id;
    }

    /** Replaces what {@link #display} showed under {@code id} with {@code value}. */
    public static void updateDisplay(String id, Object value) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("updateDisplay needs the id that display(...) returned, got " +
                    (id == null ? "null" : "a blank string"));
        }
        InfLvgKernel kernel = InfLvgKernel.running();
        if (kernel == null) {
            System.out.println(value);
            return;
        }
        kernel.getIO().display.updateDisplay(id, kernel.render(value));
    }

    /**
     * A progress line for a task of {@code total} units (0 or less when unknown) that updates in place; call
     * {@link Progress#step()} as units finish and close it at the end (try-with-resources).
     */
    public static Progress progress(String label, long total) {
        return Progress.start(label, total);
    }
}
