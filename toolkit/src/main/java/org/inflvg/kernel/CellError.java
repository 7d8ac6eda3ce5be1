package org.inflvg.kernel;

import java.util.List;

/**
 * A cell that failed, already worded for the notebook: {@code ename} and {@code evalue} as Jupyter shows them, and a
 * traceback that points at cell lines, never at the kernel's own frames.
 */
final class CellError extends RuntimeException {

    private final String ename;
    private final List<String> traceback;

    CellError(String ename, String evalue, List<String> traceback) {
        super(evalue, null, false, false);
        this.ename = ename;
        this.traceback = List.copyOf(traceback);
    }

    String ename() {
        return ename;
    }

    String evalue() {
        return getMessage() == null ? "" : getMessage();
    }

    List<String> traceback() {
        return traceback;
    }

    @Override
    public String toString() {
        return ename + ": " + evalue();
    }
}
