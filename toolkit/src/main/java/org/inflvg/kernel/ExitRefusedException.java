package org.inflvg.kernel;

/**
 * Thrown where a cell called {@code System.exit}, {@code Runtime.exit} or {@code Runtime.halt}: the kernel runs cells
 * in its own JVM, so exiting would kill the kernel and lose every variable. The kernel rewrites those calls in cell code
 * (and in methods and classes that cells declare) into the static methods below before the code runs.
 */
public final class ExitRefusedException extends RuntimeException {

    private ExitRefusedException(String call) {
        super(call + " was not run: it would end the kernel's JVM and lose every variable of this notebook. "
                + "To stop a cell, return or throw an exception; to end the session use Kernel > Shut Down or Restart.");
    }

    /** What {@code System.exit(status)} in cell code becomes. */
    public static void exit(int status) {
        throw new ExitRefusedException("System.exit(" + status + ")");
    }

    /** What {@code runtime.exit(status)} in cell code becomes. */
    public static void runtimeExit(Runtime runtime, int status) {
        throw new ExitRefusedException("Runtime.exit(" + status + ")");
    }

    /** What {@code runtime.halt(status)} in cell code becomes. */
    public static void runtimeHalt(Runtime runtime, int status) {
        throw new ExitRefusedException("Runtime.halt(" + status + ")");
    }
}
