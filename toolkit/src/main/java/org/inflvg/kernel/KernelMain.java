package org.inflvg.kernel;

import org.dflib.jjava.jupyter.channels.JupyterConnection;
import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Starts the kernel on the connection file Jupyter passes: {@code java -cp ... org.inflvg.kernel.KernelMain
 * CONNECTION_FILE}. The kernelspec that {@code inflvg kernel install} writes runs exactly this.
 */
public final class KernelMain {

    private KernelMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: java -cp <toolkit class path> org.inflvg.kernel.KernelMain CONNECTION_FILE\n"
                    + "Jupyter runs this through the kernelspec; install it with `./inflvg kernel install`.");
            System.exit(2);
        }
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");   // charts and images render without a display
        }
        String connection;
        try {
            connection = Files.readString(Path.of(args[0]));
        } catch (NoSuchFileException e) {
            System.err.println("inflvg kernel: no connection file " + args[0]);
            System.exit(2);
            return;
        }
        InfLvgKernel kernel = new InfLvgKernel(System.getProperty("java.class.path"), InfLvgKernel.startupScript());
        JupyterConnection jupyter = new JupyterConnection(KernelConnectionProperties.parse(connection));
        kernel.onStartup();
        kernel.becomeHandlerForConnection(jupyter);
        jupyter.connect();
        jupyter.waitUntilClose();
        // cells may have left non-daemon threads behind; the session is over, so end the JVM
        System.exit(0);
    }
}
