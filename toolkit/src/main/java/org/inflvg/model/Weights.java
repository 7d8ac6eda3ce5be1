package org.inflvg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Named parameter tensors of a model, owned by one {@link NDManager}. A plain store rather than DJL blocks: the forward
 * passes are written as functions of these arrays, and the file format is ours (name, shape, float32 values).
 */
public final class Weights implements AutoCloseable {

    private static final int MAGIC = 0x1F1A7E57;
    private final NDManager manager;
    private final Map<String, NDArray> params = new LinkedHashMap<>();

    public Weights(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    public NDManager manager() {
        return manager;
    }

    /** Creates a parameter drawn from N(0, std^2) (std 0 gives zeros). */
    public NDArray normal(String name, Random rnd, double std, long... shape) {
        int n = (int) new Shape(shape).size();
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextGaussian() * std);
        }
        return put(name, manager.create(v, new Shape(shape)));
    }

    public NDArray constant(String name, float value, long... shape) {
        return put(name, manager.full(new Shape(shape), value));
    }

    /** Adds a parameter (owned by this store's manager from now on). */
    public NDArray put(String name, NDArray a) {
        if (params.containsKey(name)) {
            throw new IllegalStateException("duplicate parameter " + name);
        }
        a.setName(name);
        if (a.getManager() != manager) {
            a.attach(manager);
        }
        params.put(name, a);
        return a;
    }

    /** The parameter called {@code name}. */
    public NDArray get(String name) {
        NDArray a = params.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no parameter named " + name);
        }
        return a;
    }

    public Map<String, NDArray> all() {
        return Collections.unmodifiableMap(params);
    }

    /** Total number of scalars. */
    public long count() {
        return params.values().stream().mapToLong(a -> a.getShape().size()).sum();
    }

    /** Marks every parameter as trainable (gradients are recorded for it). */
    public void requireGradients() {
        params.values().forEach(a -> a.setRequiresGradient(true));
    }

    /** Copies values from {@code other} (same names and shapes). */
    public void copyFrom(Weights other) {
        try (NoGrad ng = new NoGrad()) {
            copyValues(other);
        }
    }

    private void copyValues(Weights other) {
        for (var e : params.entrySet()) {
            NDArray src = other.get(e.getKey());
            e.getValue().set(src.toFloatArray());
        }
    }

    /** Writes all parameters to {@code file} atomically; returns the file's SHA-256. */
    public String save(Path file) {
        try {
            Path abs = file.toAbsolutePath();
            Files.createDirectories(abs.getParent());
            Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp");
            try (OutputStream os = Files.newOutputStream(tmp);
                 DataOutputStream out = new DataOutputStream(new BufferedOutputStream(os, 1 << 16))) {
                out.writeInt(MAGIC);
                out.writeInt(params.size());
                for (var e : params.entrySet()) {
                    out.writeUTF(e.getKey());
                    long[] shape = e.getValue().getShape().getShape();
                    out.writeInt(shape.length);
                    for (long s : shape) {
                        out.writeLong(s);
                    }
                    for (float f : e.getValue().toFloatArray()) {
                        out.writeFloat(f);
                    }
                }
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return sha256(abs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write weights to " + file, e);
        }
    }

    /**
     * Loads values into the existing parameters from {@code file}. Every parameter must be present with the same shape;
     * errors name the file and the problem.
     */
    public void load(Path file) {
        try (NoGrad ng = new NoGrad()) {
            loadValues(file);
        }
    }

    private void loadValues(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("weights file " + file + " is missing");
        }
        try (InputStream is = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new BufferedInputStream(is, 1 << 16))) {
            if (in.readInt() != MAGIC) {
                throw new IllegalArgumentException("weights file " + file + " is not an InfLVG weights file (bad header)");
            }
            int n = in.readInt();
            if (n != params.size()) {
                throw new IllegalArgumentException("weights file " + file + " holds " + n + " tensors, the model has "
                        + params.size() + ": it was written for another configuration");
            }
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                NDArray p = params.get(name);
                if (p == null) {
                    throw new IllegalArgumentException("weights file " + file + " has tensor '" + name
                            + "' that the model does not have (another configuration?)");
                }
                long[] shape = new long[in.readInt()];
                for (int k = 0; k < shape.length; k++) {
                    shape[k] = in.readLong();
                }
                if (!new Shape(shape).equals(p.getShape())) {
                    throw new IllegalArgumentException("weights file " + file + ": tensor '" + name + "' has shape "
                            + new Shape(shape) + ", the model expects " + p.getShape());
                }
                float[] v = new float[(int) p.getShape().size()];
                for (int k = 0; k < v.length; k++) {
                    v[k] = in.readFloat();
                }
                p.set(v);
            }
        } catch (EOFException e) {
            throw new IllegalArgumentException("weights file " + file + " is truncated");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read weights file " + file, e);
        }
    }

    /** SHA-256 of a file, hex. */
    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int r;
            while ((r = in.read(buf)) > 0) {
                md.update(buf, 0, r);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
