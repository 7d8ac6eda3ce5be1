package org.inflvg.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW with bias correction, decoupled weight decay on matrices only, and global-norm gradient clipping. Written here
 * (not DJL's optimizer) because its moments must be saved with a checkpoint and DJL's optimizer has no save/load, and
 * because DJL's clipping only clamps from above. Moments live in their own {@link Weights} so they save like weights.
 */
public final class AdamW implements AutoCloseable {

    private final Weights params;
    private final Weights m, v;
    private final double beta1, beta2, eps, weightDecay;
    private long step;
    private long skipped;
    private String lastNonFinite;

    public AdamW(Weights params, NDManager manager, double beta1, double beta2, double weightDecay) {
        this.params = params;
        this.m = new Weights(manager);
        this.v = new Weights(manager);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = 1e-8;
        this.weightDecay = weightDecay;
        for (var e : params.all().entrySet()) {
            m.put(e.getKey(), m.manager().zeros(e.getValue().getShape()));
            v.put(e.getKey(), v.manager().zeros(e.getValue().getShape()));
        }
    }

    public long step() {
        return step;
    }

    /** The first parameter whose gradient was not finite, or null: a diagnostic for the log. */
    public String lastNonFinite() {
        String s = lastNonFinite;
        lastNonFinite = null;
        return s;
    }

    /** Updates skipped because the gradient norm was not finite. */
    public long skipped() {
        return skipped;
    }

    /**
     * One update from the parameters' accumulated gradients, which are zeroed afterwards. Gradients are scaled so their
     * global L2 norm is at most {@code clip}. Returns the norm before clipping (NaN or infinite: nothing is changed).
     */
    public double update(double lr, double clip) {
        try (NoGrad ng = new NoGrad(); ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
            return updateInScope(lr, clip);
        }
    }

    private double updateInScope(double lr, double clip) {
        Map<String, NDArray> grads = new LinkedHashMap<>();
        ai.djl.ndarray.NDList parts = new ai.djl.ndarray.NDList();
        for (var e : params.all().entrySet()) {
            NDArray g = e.getValue().getGradient();
            grads.put(e.getKey(), g);
            parts.add(g.square().sum());                                     // [] on the device
        }
        // the global norm is one device-side reduction and one scalar read per step (a GPU sync), not one per parameter
        // (the parts summed in float64, as the Java sum of the old per-parameter reads was: no new overflow)
        double sq = ai.djl.ndarray.NDArrays.stack(parts).toType(ai.djl.ndarray.types.DataType.FLOAT64, false).sum()
                .getDouble();
        if (!Double.isFinite(sq) && lastNonFinite == null) {
            // rare: read the parts only to name the culprit for the log
            String[] names = grads.keySet().toArray(new String[0]);
            for (int i = 0; i < names.length && lastNonFinite == null; i++) {
                if (!Float.isFinite(parts.get(i).getFloat())) {
                    lastNonFinite = names[i];
                }
            }
        }
        double norm = Math.sqrt(sq);
        try {
            if (!Double.isFinite(norm)) {
                skipped++;
                return norm;
            }
            step++;
            float scale = (float) (norm > clip ? clip / norm : 1.0);
            double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
            for (var e : params.all().entrySet()) {
                String name = e.getKey();
                NDArray p = e.getValue();
                NDArray g = grads.get(name).mul(scale);
                NDArray mm = m.get(name), vv = v.get(name);
                mm.muli((float) beta1).addi(g.mul((float) (1 - beta1)));
                vv.muli((float) beta2).addi(g.square().muli((float) (1 - beta2)));
                NDArray upd = mm.div((float) bc1).divi(vv.div((float) bc2).sqrt().addi((float) eps));
                if (weightDecay > 0 && p.getShape().dimension() >= 2 && !name.startsWith("frame_pos")
                        && !name.startsWith("text.emb") && !name.startsWith("text.pos")) {
                    upd.addi(p.mul((float) weightDecay));
                }
                p.subi(upd.muli((float) lr));
            }
            return norm;
        } finally {
            for (NDArray g : grads.values()) {
                // gradients accumulate in libtorch: zero them in place for the next step. A fill, not g - g, which
                // would keep a NaN forever and silently stop training after one bad step.
                g.set(new ai.djl.ndarray.index.NDIndex("..."), 0);
            }
        }
    }

    /** Writes the moments beside a checkpoint. */
    public void save(Path dir) {
        m.save(dir.resolve("adam-m.bin"));
        v.save(dir.resolve("adam-v.bin"));
    }

    /** Restores the moments and the step count of a checkpoint. */
    public void load(Path dir, long step) {
        m.load(dir.resolve("adam-m.bin"));
        v.load(dir.resolve("adam-v.bin"));
        this.step = step;
    }

    @Override
    public void close() {
        m.close();
        v.close();
    }
}
