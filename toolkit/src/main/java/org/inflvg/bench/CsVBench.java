package org.inflvg.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.inflvg.InfLVG;
import org.inflvg.Scene;
import org.inflvg.Story;
import org.inflvg.model.ModelConfig;
import org.inflvg.reward.ColourJudges;
import org.inflvg.reward.Judge;
import org.inflvg.select.ContextSelector;
import org.inflvg.select.Selectors;
import org.inflvg.video.Video;
import org.inflvg.world.Eps;
import org.inflvg.world.EpsFile;
import org.inflvg.world.EpsGenerator;
import org.inflvg.world.Prompt;
import org.inflvg.world.Split;

/**
 * CsVBench, the cross-scene benchmark: every prompt set x selector x seed (a <i>cell</i>) is generated as a whole
 * story and every scene is measured ({@link CsvMetric}). Immutable and fluent: each setter returns a new bench.
 *
 * <pre>{@code
 * CsvResults r = CsVBench.of(lvg).sets(20).scenes(6).selectors("full", "none", "window:8").seeds(0)
 *         .out(Path.of("results")).run();
 * r.summary();                                    // per selector: mean and 95 % interval of every metric
 * }</pre>
 *
 * <p>With an output folder, each finished cell is appended to {@code cells.jsonl} at once, and a later run with the
 * same folder skips the cells already there (resume); at the end the tables, plots and {@code report.md} are written
 * ({@link CsvResults#write}). A shard {@code i/n} runs the cells whose index is {@code i} modulo {@code n}; the cell
 * index is {@code (set * selectors + selector) * seeds + seed} (positions in the lists), so shards of the same
 * configuration never overlap and {@link CsvResults#merge} puts them back together.
 *
 * <p>Each cell's story is seeded by its seed only, so a cell gives the same frames and metrics whichever run, shard
 * or order generates it (wall time aside).
 */
public final class CsVBench {

    /** Weights of the hybrid reward: {@code w_align * alignment + w_artifact * artifact + w_identity * identity}. */
    public record Weights(double alignment, double artifact, double identity) {
        public static final Weights DEFAULT = new Weights(1, 1, 1);

        public Weights {
            for (double w : new double[] {alignment, artifact, identity}) {
                if (!Double.isFinite(w) || w < 0) {
                    throw new IllegalArgumentException("hybrid weights must be finite and >= 0, got " + alignment + ", "
                            + artifact + ", " + identity);
                }
            }
        }
    }

    /** Progress of a run: scenes done out of the scenes this run generates, and the cell being generated. */
    @FunctionalInterface
    public interface Progress {
        void update(long scenesDone, long scenesTotal, String cell);
    }

    /** Default number of prompt sets (the benchmark size). */
    public static final int DEFAULT_SETS = 20;
    /** Longest story: 9 scenes, the paper's 9x. */
    public static final int MAX_SCENES = 9;

    private final InfLVG lvg;
    private final List<Eps> prompts;        // null: the test split of EpsGenerator
    private final String promptSource;
    private final int sets;                 // -1: all of the given prompts (DEFAULT_SETS for the test split)
    private final List<ContextSelector> selectors;
    private final long[] seeds;
    private final int scenes;
    private final Judge judge;              // null: the colour fallback for the model's frame size
    private final Weights weights;
    private final Path out;
    private final int shard, shards;
    private final int samples;
    private final Progress progress;
    private final String command;

    private CsVBench(InfLVG lvg, List<Eps> prompts, String promptSource, int sets, List<ContextSelector> selectors,
                     long[] seeds, int scenes, Judge judge, Weights weights, Path out, int shard, int shards,
                     int samples, Progress progress, String command) {
        this.lvg = lvg;
        this.prompts = prompts;
        this.promptSource = promptSource;
        this.sets = sets;
        this.selectors = selectors;
        this.seeds = seeds;
        this.scenes = scenes;
        this.judge = judge;
        this.weights = weights;
        this.out = out;
        this.shard = shard;
        this.shards = shards;
        this.samples = samples;
        this.progress = progress;
        this.command = command;
    }

    /**
     * A bench over a model with the defaults: the test split's prompt sets, 20 sets, selectors full and none, seed 0,
     * 6 scenes, the learned reward models as judge (colour fallback without them), hybrid weights 1, 1, 1, no output folder, 2 sample videos per selector.
     */
    public static CsVBench of(InfLVG lvg) {
        return new CsVBench(Objects.requireNonNull(lvg, "lvg"), null, "EpsGenerator test split", -1,
                List.of(Selectors.full(), Selectors.none()), new long[] {0}, 6, null, Weights.DEFAULT, null, 0, 1, 2,
                (d, t, c) -> { }, "(API)");
    }

    private CsVBench with(List<Eps> prompts, String promptSource, int sets, List<ContextSelector> selectors, long[] seeds,
                          int scenes, Judge judge, Weights weights, Path out, int shard, int shards, int samples,
                          Progress progress, String command) {
        return new CsVBench(lvg, prompts, promptSource, sets, selectors, seeds, scenes, judge, weights, out, shard, shards,
                samples, progress, command);
    }

    /** Prompt sets to run (the first {@link #sets} of them). */
    public CsVBench prompts(List<Eps> p) {
        if (p == null || p.isEmpty()) {
            throw new IllegalArgumentException("prompts: give at least one prompt set");
        }
        return with(List.copyOf(p), "given list of " + p.size() + " sets", sets, selectors, seeds, scenes, judge, weights,
                out, shard, shards, samples, progress, command);
    }

    /** Prompt sets from an EPS file (JSONL, keys "0".."N-1"). */
    public CsVBench prompts(Path file) {
        List<Eps> p = EpsFile.read(file);
        return with(p, file.toString(), sets, selectors, seeds, scenes, judge, weights, out, shard, shards, samples,
                progress, command);
    }

    /** How many prompt sets to run: the first {@code n} of the prompts (default: all given, or 20 of the test split). */
    public CsVBench sets(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("sets must be at least 1, got " + n);
        }
        return with(prompts, promptSource, n, selectors, seeds, scenes, judge, weights, out, shard, shards, samples,
                progress, command);
    }

    /** Selectors in their one-word forms ({@link Selectors#FORMS}). */
    public CsVBench selectors(String... words) {
        List<ContextSelector> s = new ArrayList<>();
        for (String w : words) {
            s.addAll(Selectors.parseList(w));
        }
        return selectors(s);
    }

    /** Selectors to compare; their names must be distinct (a cell is keyed by the name). */
    public CsVBench selectors(List<ContextSelector> s) {
        if (s == null || s.isEmpty()) {
            throw new IllegalArgumentException("selectors: give at least one; allowed forms: " + Selectors.FORMS);
        }
        if (s.stream().map(ContextSelector::name).distinct().count() != s.size()) {
            throw new IllegalArgumentException("selectors must have distinct names, got "
                    + s.stream().map(ContextSelector::name).toList());
        }
        return with(prompts, promptSource, sets, List.copyOf(s), seeds, scenes, judge, weights, out, shard, shards,
                samples, progress, command);
    }

    /** Noise seeds; each set x selector is generated once per seed. */
    public CsVBench seeds(long... s) {
        if (s.length == 0 || Arrays.stream(s).distinct().count() != s.length) {
            throw new IllegalArgumentException("seeds: give at least one, all distinct, got " + Arrays.toString(s));
        }
        return with(prompts, promptSource, sets, selectors, s.clone(), scenes, judge, weights, out, shard, shards, samples,
                progress, command);
    }

    /** Scenes per story, 2..9 (the first {@code n} scenes of each set; default 6). */
    public CsVBench scenes(int n) {
        int max = Math.min(MAX_SCENES, lvg.model().config().maxFrames() / lvg.model().config().sceneFrames());
        if (n < 2 || n > max) {
            throw new IllegalArgumentException("scenes must be in [2, " + max + "] (transitions need 2; the model holds "
                    + max + "), got " + n);
        }
        return with(prompts, promptSource, sets, selectors, seeds, n, judge, weights, out, shard, shards, samples, progress,
                command);
    }

    /**
     * The judge that scores scenes (default: the learned reward models {@code lvg.rewards()} for 32x32 models when they
     * are present, else {@link ColourJudges#colour}, the colour fallback).
     */
    public CsVBench judge(Judge j) {
        return with(prompts, promptSource, sets, selectors, seeds, scenes, Objects.requireNonNull(j, "judge"), weights,
                out, shard, shards, samples, progress, command);
    }

    /** Weights of the hybrid score (default 1, 1, 1). */
    public CsVBench weights(Weights w) {
        return with(prompts, promptSource, sets, selectors, seeds, scenes, judge, Objects.requireNonNull(w, "weights"),
                out, shard, shards, samples, progress, command);
    }

    /** Output folder: cells are appended to {@code cells.jsonl} as they finish, and a re-run resumes from it. */
    public CsVBench out(Path dir) {
        return with(prompts, promptSource, sets, selectors, seeds, scenes, judge, weights, dir, shard, shards, samples,
                progress, command);
    }

    /** Runs only the cells whose index is {@code i} modulo {@code n}. */
    public CsVBench shard(int i, int n) {
        if (n < 1 || i < 0 || i >= n) {
            throw new IllegalArgumentException("shard must be i/n with n >= 1 and 0 <= i < n, got " + i + "/" + n);
        }
        return with(prompts, promptSource, sets, selectors, seeds, scenes, judge, weights, out, i, n, samples, progress,
                command);
    }

    /** Sample videos per selector (the first {@code n} sets at the first seed; default 2; needs an output folder). */
    public CsVBench samples(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("samples must be >= 0, got " + n);
        }
        return with(prompts, promptSource, sets, selectors, seeds, scenes, judge, weights, out, shard, shards, n, progress,
                command);
    }

    /** Where progress is reported. */
    public CsVBench progress(Progress p) {
        return with(prompts, promptSource, sets, selectors, seeds, scenes, judge, weights, out, shard, shards, samples,
                Objects.requireNonNull(p, "progress"), command);
    }

    /** The command line recorded in the provenance. */
    public CsVBench command(String c) {
        return with(prompts, promptSource, sets, selectors, seeds, scenes, judge, weights, out, shard, shards, samples,
                progress, c);
    }

    /** The prompt sets this bench runs, each cut to {@link #scenes} scenes; SpriteWorld's grammar is checked. */
    List<Eps> promptSets() {
        List<Eps> all;
        int n;
        if (prompts == null) {
            n = sets < 0 ? DEFAULT_SETS : sets;
            all = EpsGenerator.generate(Split.TEST, n, scenes, 0);
        } else {
            n = sets < 0 ? prompts.size() : sets;
            if (n > prompts.size()) {
                throw new IllegalArgumentException("sets is " + n + " but " + promptSource + " holds " + prompts.size()
                        + " prompt sets; ask for at most " + prompts.size());
            }
            all = prompts.subList(0, n);
        }
        List<Eps> cut = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Eps e = all.get(i);
            if (e.size() < scenes) {
                throw new IllegalArgumentException("prompt set " + i + " of " + promptSource + " has " + e.size()
                        + " scenes; the bench asks for " + scenes + " (lower scenes or use longer sets)");
            }
            Eps c = new Eps(e.index(), e.scenes().subList(0, scenes), e.identity(), e.split());
            c.parsed(); // the metrics need SpriteWorld prompts (backgrounds); fail now, naming the set and scene
            cut.add(c);
        }
        return cut;
    }

    Judge judgeOrDefault() {
        if (judge != null) {
            return judge;
        }
        int size = lvg.model().config().frameSize();
        if (size == 32) { // the learned reward models read 32x32 SpriteWorld frames
            try {
                return lvg.rewards();
            } catch (IllegalArgumentException missing) {
                // no data/rewards: fall back to the colour heuristic below
            }
        }
        return ColourJudges.colour(size);
    }

    /** The run's provenance (what defines its results, and how it was started). */
    RunInfo info(List<Eps> sets, Judge j) {
        return new RunInfo("inflvg", RunInfo.VERSION, java.time.Instant.now().toString(), command,
                lvg.modelDir().toAbsolutePath().toString(), lvg.checksum(), j.toString(), scenes, sets.size(),
                Arrays.stream(seeds).boxed().toList(), selectors.stream().map(ContextSelector::name).toList(),
                promptSource, digest(sets), List.of(weights.alignment(), weights.artifact(), weights.identity()),
                shard + "/" + shards, List.of(), System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), lvg.sampling().toString());
    }

    static String digest(List<Eps> sets) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Eps e : sets) {
                md.update((e.identity() + "|" + String.join("|", e.scenes()) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs the cells of this shard that the output folder does not hold yet, then (with an output folder) writes the
     * tables, plots and report over every cell of this configuration and shard found there.
     */
    public CsvResults run() {
        List<Eps> sets = promptSets();
        Judge j = judgeOrDefault();
        RunInfo info = info(sets, j);
        Map<String, Cell> done = new java.util.LinkedHashMap<>();
        if (out != null) {
            CellStore.checkCompatible(out, info);
            done.putAll(CellStore.read(out.resolve(CellStore.CELLS)));
            CellStore.writeInfo(out, info);
        }
        int nSel = selectors.size(), nSeed = seeds.length;
        List<int[]> todo = new ArrayList<>();
        List<Cell> kept = new ArrayList<>();
        for (int s = 0; s < sets.size(); s++) {
            for (int k = 0; k < nSel; k++) {
                for (int d = 0; d < nSeed; d++) {
                    int index = (s * nSel + k) * nSeed + d;
                    if (index % shards != shard) {
                        continue;
                    }
                    Cell c = done.get(Cell.key(s, selectors.get(k).name(), seeds[d]));
                    if (c != null) {
                        if (!c.prompts().equals(sets.get(s).scenes()) || c.identity() != sets.get(s).identity()) {
                            throw new IllegalArgumentException("output folder " + out + " holds set " + s + " with other "
                                    + "prompts or individual (" + c.prompts() + ", identity " + c.identity() + ") than "
                                    + promptSource + "; use another --out folder for other prompts");
                        }
                        kept.add(c);
                    } else {
                        todo.add(new int[] {index, s, k, d});
                    }
                }
            }
        }
        int skipped = kept.size();
        long total = (long) todo.size() * scenes;
        long[] scenesDone = {0};
        for (int[] t : todo) {
            Cell c = runCell(t[0], t[1], sets.get(t[1]), selectors.get(t[2]), seeds[t[3]], t[3] == 0, j, total, scenesDone);
            if (out != null) {
                CellStore.append(out.resolve(CellStore.CELLS), c);
            }
            kept.add(c);
        }
        CsvResults r = new CsvResults(info, kept, todo.size(), skipped);
        if (out != null) {
            r.write(out);
        }
        return r;
    }

    private Cell runCell(int index, int set, Eps eps, ContextSelector sel, long seed, boolean firstSeed, Judge j,
                         long total, long[] scenesDone) {
        String name = "set " + set + " " + sel.name() + " seed " + seed;
        ModelConfig cfg = lvg.model().config();
        long t0 = System.nanoTime();
        List<Map<String, Double>> rows = new ArrayList<>();
        List<Prompt> parsed = eps.parsed();
        String sample = null;
        try (Story st = lvg.story(eps).seed(seed).selector(sel)) {
            List<Video> history = new ArrayList<>();
            for (int s = 0; s < eps.size(); s++) {
                Scene scene = st.next();
                rows.add(SceneMetrics.measure(j, weights, cfg, scene, parsed.get(s), s == 0 ? null : parsed.get(s - 1),
                        history.isEmpty() ? null : Video.concat(history), st.cache().bytes()));
                history.add(scene.video());
                progress.update(++scenesDone[0], total, name);
            }
            if (out != null && firstSeed && set < samples) {
                sample = CellStore.VIDEOS + "/" + fileName(sel.name()) + "-set" + set + ".gif";
                st.video().upscale(4).save(out.resolve(sample));
            }
        }
        return new Cell(index, set, eps.index(), sel.name(), seed, eps.identity(), eps.scenes(), rows,
                (System.nanoTime() - t0) / 1e9, sample);
    }

    /** A selector name as a file name: "sink:1+4" becomes "sink-1p4". */
    static String fileName(String selector) {
        return selector.replace(':', '-').replace("+", "p").replace('@', '_').replaceAll("[^A-Za-z0-9._-]", "_");
    }

    @Override
    public String toString() {
        return "CsVBench[" + (sets < 0 ? "all" : sets) + " sets of " + promptSource + ", " + scenes + " scenes, selectors "
                + selectors.stream().map(ContextSelector::name).toList() + ", seeds " + Arrays.toString(seeds)
                + (shards > 1 ? ", shard " + shard + "/" + shards : "") + (out != null ? ", out " + out : "") + "]";
    }

    static void appendLine(Path file, String line) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.SYNC);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file, e);
        }
    }
}
