package org.inflvg.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.inflvg.world.Clip;
import org.inflvg.world.Dataset;
import org.inflvg.world.Split;
import org.inflvg.world.SpriteWorld;
import org.inflvg.world.WorldConfig;

/**
 * Trains TinyDiT on single-scene SpriteWorld clips (never multi-scene stories) by teacher forcing. Checkpoints (weights,
 * EMA weights, AdamW moments, step) are written atomically every {@code checkpointEvery} steps; a new run with the same
 * output folder resumes from the last checkpoint. The shippable model (EMA weights) is written to the output folder
 * itself; scalars go to {@code train-log.jsonl}.
 */
public final class BaseTrainer {

    /**
     * Training settings.
     *
     * @param steps            total optimiser steps (the cosine schedule runs over them)
     * @param batch            clips per step
     * @param lr               peak learning rate
     * @param warmup           linear warm-up steps
     * @param highNoiseShare   share of flow times drawn uniformly from [0.7, 1] (the rest logit-normal)
     * @param contextDrop      probability that a clip's chunks see no earlier chunk
     * @param textDrop         probability of the null prompt (enables classifier-free guidance)
     * @param emaDecay         decay of the weight average that is shipped
     * @param checkpointEvery  steps between checkpoints
     * @param seed             seed of initialisation and data
     */
    public record Settings(int steps, int batch, double lr, int warmup, double highNoiseShare, double contextDrop,
                           double textDrop, double emaDecay, int checkpointEvery, long seed) {
        public static final Settings DEFAULT = new Settings(6000, 8, 1.5e-3, 100, 0.5, 0.15, 0.1, 0.999, 50, 0);

        public Settings {
            if (steps < 1) throw new IllegalArgumentException("steps must be at least 1, got " + steps);
            if (batch < 1 || batch > 256) throw new IllegalArgumentException("batch must be in [1, 256], got " + batch);
            if (!(lr > 0 && lr < 1)) throw new IllegalArgumentException("lr must be in (0, 1), got " + lr);
            if (checkpointEvery < 1) throw new IllegalArgumentException("checkpointEvery must be >= 1");
            if (!(highNoiseShare >= 0 && highNoiseShare <= 1)) {
                throw new IllegalArgumentException("highNoiseShare must be in [0, 1], got " + highNoiseShare);
            }
        }

        public Settings withHighNoiseShare(double h) {
            return new Settings(steps, batch, lr, warmup, h, contextDrop, textDrop, emaDecay, checkpointEvery, seed);
        }

        public Settings withSteps(int s) {
            return new Settings(s, batch, lr, warmup, highNoiseShare, contextDrop, textDrop, emaDecay, checkpointEvery, seed);
        }

        public Settings withBatch(int b) {
            return new Settings(steps, b, lr, warmup, highNoiseShare, contextDrop, textDrop, emaDecay, checkpointEvery, seed);
        }

        public Settings withSeed(long s) {
            return new Settings(steps, batch, lr, warmup, highNoiseShare, contextDrop, textDrop, emaDecay, checkpointEvery, s);
        }

        public Settings withCheckpointEvery(int c) {
            return new Settings(steps, batch, lr, warmup, highNoiseShare, contextDrop, textDrop, emaDecay, c, seed);
        }

        public Settings withLr(double l, int w) {
            return new Settings(steps, batch, l, w, highNoiseShare, contextDrop, textDrop, emaDecay, checkpointEvery, seed);
        }
    }

    /** One logged step. */
    public record StepLog(long step, double loss, double gradNorm, double lr, double secondsPerStep, long skippedSteps,
                          String nonFiniteGradient) {
    }

    private final ModelConfig cfg;
    private final Settings settings;
    private final Path out;
    private final ai.djl.Device device;

    /** Trains on the CPU (the embedded default host's device). */
    public BaseTrainer(ModelConfig cfg, Settings settings, Path out) {
        this(cfg, settings, out, ai.djl.Device.cpu());
    }

    /** Trains on {@code device} (a host's, {@code HostConfig.djlDevice()}): weights, moments and every step's arrays. */
    public BaseTrainer(ModelConfig cfg, Settings settings, Path out, ai.djl.Device device) {
        this.cfg = cfg;
        this.settings = settings;
        this.out = out;
        this.device = device;
    }

    /**
     * The step a run into {@code out} resumes from: the step of its checkpoint, or 0 when it has none (progress bars
     * start there, so their rate and time left are not skewed by the steps done before).
     */
    public static long resumeStep(Path out) {
        Path state = out.resolve("checkpoint").resolve("state.json");
        if (!Files.isRegularFile(state)) {
            return 0;
        }
        JsonNode step = ModelFiles.read(state).get("step");
        return step == null ? 0 : step.asLong();
    }

    /**
     * Calls {@code hook} with the step and the EMA model (the weights the run ships) after every checkpoint whose step
     * is a multiple of {@code every}, and after the last step; {@code inflvg train base} writes sample sheets with it
     * ({@code org.inflvg.TrainingSamples}). A hook that throws is reported on stderr and does not stop training.
     */
    public BaseTrainer onCheckpoint(int every, java.util.function.BiConsumer<Long, TinyDiT> hook) {
        if (every < 1) {
            throw new IllegalArgumentException("every must be at least 1 step, got " + every);
        }
        this.hookEvery = every;
        this.hook = hook;
        return this;
    }

    /**
     * Starts a run that has no checkpoint yet from a trained model folder's weights (its shipped EMA weights, loaded
     * into both the trained weights and their average) instead of random ones: a continuation with a fresh AdamW and a
     * new warm-up and cosine over {@code settings.steps()}. The folder must hold a model of this trainer's configuration
     * and must not be the output folder (whose weights the first checkpoint overwrites). Ignored when the output folder
     * holds a checkpoint: the run resumes from it. The source folder, checksum and steps are recorded in the output's
     * provenance as {@code initFrom}.
     */
    public BaseTrainer initFrom(Path modelDir) {
        if (modelDir != null && modelDir.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("the model to start from (" + modelDir + ") is the output folder; its "
                    + "weights would be overwritten at the first checkpoint: train into a new folder and copy it over");
        }
        this.initFrom = modelDir;
        return this;
    }

    private Path initFrom;
    private Map<String, Object> initProvenance;

    private void loadInitial(TinyDiT model, TinyDiT ema, NDManager root) {
        try (NDManager m = root.newSubManager(); TinyDiT src = ModelFiles.load(initFrom, m)) {
            if (!src.config().equals(cfg)) {
                throw new IllegalArgumentException("the model in " + initFrom + " has another configuration than "
                        + "the one to train (" + differences(src.config(), cfg) + "); use the same size and --conv");
            }
            model.weights().copyFrom(src.weights());
            ema.weights().copyFrom(src.weights());
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("folder", initFrom.toString());
            p.put("sha256", src.checksum());
            JsonNode prov = ModelFiles.read(initFrom.resolve(ModelFiles.CONFIG)).path("provenance");
            p.put("steps", prov.path("steps").isNumber() ? prov.path("steps").asLong() : null);
            if (prov.has("initFrom")) {
                p.put("initFrom", prov.get("initFrom")); // a continuation of a continuation keeps the chain
            }
            initProvenance = p;
        }
    }

    /** The components in which two configurations differ, as "name: a there, b here". */
    static String differences(ModelConfig there, ModelConfig here) {
        List<String> out = new ArrayList<>();
        try {
            for (var c : ModelConfig.class.getRecordComponents()) {
                Object a = c.getAccessor().invoke(there), b = c.getAccessor().invoke(here);
                if (!a.equals(b)) {
                    out.add(c.getName() + ": " + a + " there, " + b + " here");
                }
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        return String.join("; ", out);
    }

    private int hookEvery = Integer.MAX_VALUE;
    private java.util.function.BiConsumer<Long, TinyDiT> hook;

    private void runHook(long step, TinyDiT ema) {
        if (hook == null || (step % hookEvery != 0 && step != settings.steps())) {
            return;
        }
        try {
            hook.accept(step, ema);
        } catch (RuntimeException e) {
            System.err.println("train base: the checkpoint hook failed at step " + step + " (training goes on): " + e);
        }
    }

    /**
     * Runs until {@code settings.steps()} (resuming if a checkpoint exists, else from
     * {@link #initFrom} or random weights) or until the thread is interrupted (then
     * it checkpoints and returns). Returns the mean loss of the last logged window.
     */
    public double run(Consumer<StepLog> progress) {
        Path ckpt = out.resolve("checkpoint");
        try (NDManager root = NDManager.newBaseManager(device)) {
            Engine.getInstance().setRandomSeed((int) settings.seed());
            TinyDiT model = TinyDiT.create(cfg, root, settings.seed());
            TinyDiT ema = TinyDiT.create(cfg, root, settings.seed());
            AdamW opt = new AdamW(model.weights(), root, 0.9, 0.99, 0.01);
            long step = 0;
            if (Files.isRegularFile(ckpt.resolve("state.json"))) {
                JsonNode st = ModelFiles.read(ckpt.resolve("state.json"));
                ModelConfig saved = ModelFiles.JSON.convertValue(st.get("config"), ModelConfig.class);
                if (!saved.equals(cfg)) {
                    throw new IllegalArgumentException("checkpoint in " + ckpt + " was made with another model config ("
                            + saved + "); use a new --out folder or the same config");
                }
                step = st.get("step").asLong();
                model.weights().load(ckpt.resolve("weights.bin"));
                ema.weights().load(ckpt.resolve("ema.bin"));
                opt.load(ckpt, step);
                JsonNode init = st.get("initFrom");
                if (init != null && !init.isNull()) {
                    initProvenance = ModelFiles.JSON.convertValue(init,
                            new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { });
                }
            } else if (initFrom != null) {
                loadInitial(model, ema, root);
            } else {
                ema.weights().copyFrom(model.weights());
            }
            model.weights().requireGradients();
            WorldConfig wc = new WorldConfig(cfg.frameSize(), cfg.sceneFrames(), Math.max(4, cfg.frameSize() * 14 / 32));
            Dataset data = new Dataset(new SpriteWorld(wc), Split.TRAIN, settings.seed());
            double window = 0, lastMean = Double.NaN;
            int inWindow = 0;
            long t0 = System.nanoTime();
            while (step < settings.steps()) {
                if (Thread.currentThread().isInterrupted()) {
                    break;
                }
                TrainBatch tb = batch(data, step);
                double lr = learningRate(step);
                double loss;
                try (NDManager m = root.newSubManager(); NDScope scope = new NDScope();
                     GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray l = model.trainingLoss(m, tb);
                    gc.backward(l);
                    loss = l.getFloat();
                }
                double norm = opt.update(lr, 1.0);
                step++;
                updateEma(ema.weights(), model.weights(), Math.min(settings.emaDecay(), (1 + step) / (10.0 + step)));
                window += loss;
                inWindow++;
                if (step % 10 == 0 || step == settings.steps()) {
                    double secs = (System.nanoTime() - t0) / 1e9 / inWindow;
                    lastMean = window / inWindow;
                    StepLog log = new StepLog(step, lastMean, norm, lr, secs, opt.skipped(), opt.lastNonFinite());
                    appendLog(log);
                    progress.accept(log);
                    window = 0;
                    inWindow = 0;
                    t0 = System.nanoTime();
                }
                if (step % settings.checkpointEvery() == 0 || step == settings.steps()) {
                    checkpoint(model, ema, opt, step, lastMean);
                    runHook(step, ema);
                }
            }
            if (step % settings.checkpointEvery() != 0 && step != settings.steps()) {
                checkpoint(model, ema, opt, step, lastMean);
            }
            opt.close();
            return lastMean;
        }
    }

    private void updateEma(Weights ema, Weights model, double decay) {
        try (NoGrad ng = new NoGrad(); NDScope scope = new NDScope()) {
            for (var e : ema.all().entrySet()) {
                NDArray p = model.get(e.getKey());
                e.getValue().muli((float) decay).addi(p.mul((float) (1 - decay)));
            }
        }
    }

    double learningRate(long step) {
        if (step < settings.warmup()) {
            return settings.lr() * (step + 1) / settings.warmup();
        }
        double p = (step - settings.warmup()) / (double) Math.max(1, settings.steps() - settings.warmup());
        return settings.lr() * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, p))));
    }

    /** Builds the batch of step {@code step}: deterministic from the seed and the step, so resuming repeats nothing. */
    TrainBatch batch(Dataset data, long step) {
        int B = settings.batch(), C = cfg.chunksPerScene(), N = cfg.tokensPerChunk(), P = cfg.patchDim();
        SplittableRandom r = new SplittableRandom(settings.seed() * 31 + step * 1_000_003L);
        float[] clean = new float[B * C * N * P], noise = new float[clean.length], t = new float[B * C];
        int[] first = new int[B], ids = new int[B * cfg.textLength()];
        boolean[] drop = new boolean[B];
        java.util.Random g = new java.util.Random(r.nextLong());
        Vocabulary vocab = new Vocabulary(org.inflvg.world.Prompt.words());
        for (int b = 0; b < B; b++) {
            Clip clip = data.clip(step * B + b);
            Patches.toTokens(clip.video(), 0, cfg.sceneFrames(), cfg.patch(), clean, b * C * N * P);
            first[b] = r.nextInt(cfg.maxFrames() - cfg.sceneFrames() + 1);
            drop[b] = r.nextDouble() < settings.contextDrop();
            if (r.nextDouble() >= settings.textDrop()) {
                int[] tok = vocab.encode(clip.prompt().toString(), cfg.textLength());
                System.arraycopy(tok, 0, ids, b * cfg.textLength(), tok.length);
            }
            for (int c = 0; c < C; c++) {
                t[b * C + c] = (float) (r.nextDouble() < settings.highNoiseShare() ? 0.7 + 0.3 * r.nextDouble()
                        : 1 / (1 + Math.exp(-g.nextGaussian())));
            }
        }
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (float) g.nextGaussian();
        }
        return new TrainBatch(B, C, clean, noise, t, first, ids, drop);
    }

    private void checkpoint(TinyDiT model, TinyDiT ema, AdamW opt, long step, double loss) {
        Path ckpt = out.resolve("checkpoint");
        model.weights().save(ckpt.resolve("weights.bin"));
        ema.weights().save(ckpt.resolve("ema.bin"));
        opt.save(ckpt);
        ObjectNode st = ModelFiles.JSON.createObjectNode();
        st.put("step", step);
        st.set("config", ModelFiles.JSON.valueToTree(cfg));
        st.set("settings", ModelFiles.JSON.valueToTree(settings));
        st.put("loss", loss);
        if (initProvenance != null) {
            st.set("initFrom", ModelFiles.JSON.valueToTree(initProvenance));
        }
        ModelFiles.writeAtomically(ckpt.resolve("state.json"), st);
        Map<String, Object> prov = new LinkedHashMap<>();
        prov.put("trainedBy", "./inflvg train base");
        prov.put("steps", step);
        prov.put("settings", settings);
        prov.put("loss", loss);
        prov.put("data", "SpriteWorld single-scene clips, train split");
        if (initProvenance != null) {
            prov.put("initFrom", initProvenance);
        }
        prov.put("time", java.time.Instant.now().toString());
        ModelFiles.save(ema, ema.weights(), out, prov);
    }

    private void appendLog(StepLog log) {
        try {
            Files.createDirectories(out);
            String line = ModelFiles.JSON.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(log) + "\n";
            Files.writeString(out.resolve("train-log.jsonl"), line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
