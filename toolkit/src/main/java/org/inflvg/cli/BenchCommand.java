package org.inflvg.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.inflvg.InfLVG;
import org.inflvg.Scene;
import org.inflvg.Story;
import org.inflvg.bench.BaseModelEvaluation;
import org.inflvg.select.ContextSelector;
import org.inflvg.select.Selectors;
import org.inflvg.world.Eps;
import org.inflvg.world.EpsFile;
import org.inflvg.world.EpsGenerator;
import org.inflvg.world.Split;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code inflvg bench ...}: measurements that print a table. */
@Command(name = "bench", description = "Benchmarks and evaluations that print a table.",
        subcommands = {BenchCommand.Base.class, BenchCommand.Speed.class, BenchSelectorsCommand.class,
            BenchCommand.Csv.class, BenchCommand.Merge.class, BenchBudgetCommand.class})
public final class BenchCommand implements Runnable {

    @Override
    public void run() {
        throw new BadInputException("say which benchmark: base (what the base model shows), speed (ms per chunk), "
                + "selectors (hybrid reward per selector), csv "
                + "(CsVBench, the cross-scene benchmark) or merge (CsVBench shards into one report)");
    }

    static Bar bar(String name, long max) {
        return new Bar(builder(name, max).build());
    }

    /** The same bar drawn on {@code out} (tests). */
    static Bar bar(String name, long max, java.io.PrintStream out) {
        return new Bar(builder(name, max).setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(out)).build());
    }

    private static ProgressBarBuilder builder(String name, long max) {
        return new ProgressBarBuilder().setTaskName(name).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500);
    }

    /**
     * A progress bar whose close draws it only the first time: commands close it before printing their results, and
     * the try-with-resources close after them must not draw it again below them (progressbar 0.10.1 redraws on every
     * close).
     */
    static final class Bar implements AutoCloseable {
        private final ProgressBar pb;
        private boolean closed;

        Bar(ProgressBar pb) {
            this.pb = pb;
        }

        ProgressBar pb() {
            return pb;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                pb.close();
            }
        }
    }

    /** {@code inflvg bench base}: quality on held-out single scenes and the scene-switch phenomena. */
    @Command(name = "base", mixinStandardHelpOptions = true,
            description = "Evaluate the base model: single-scene quality and scene-switch leakage / identity loss.")
    public static final class Base implements Callable<Integer> {
        @CommandLine.Mixin HostOptions host;
        @Option(names = "--model", description = "model folder (default: data/tinydit)")
        Path model;
        @Option(names = "--scenes", defaultValue = "50", description = "held-out single scenes (default ${DEFAULT-VALUE})")
        int scenes;
        @Option(names = "--cases", defaultValue = "24", description = "two-scene switches per selector (default ${DEFAULT-VALUE})")
        int cases;
        @Option(names = "--selectors", defaultValue = "none,full,window:2,random:128",
                description = "selectors to compare (default ${DEFAULT-VALUE}); forms: " + Selectors.FORMS)
        String selectors;
        @Option(names = "--seed", defaultValue = "0")
        long seed;
        @Option(names = "--out", description = "write the figures as JSON here")
        Path out;

        @Override
        public Integer call() throws Exception {
            if (scenes < 1 || cases < 1) {
                throw new BadInputException("--scenes and --cases must be at least 1");
            }
            List<ContextSelector> sels = Selectors.parseList(selectors);
            host.check(model);
            try (InfLVG lvg = host.load(model); Bar bar = bar("bench base", scenes + (long) cases * sels.size())) {
                ProgressBar pb = bar.pb();
                BaseModelEvaluation.Report r = BaseModelEvaluation.run(lvg, scenes, cases, sels, seed, pb::stepTo);
                bar.close(); // draws the bar one last time, before the results
                System.out.println(r.table());
                if (out != null) {
                    Files.write(out, BaseModelEvaluation.asMap(r));
                    System.out.println("wrote " + out);
                }
            }
            return 0;
        }
    }

    /** {@code inflvg bench speed}: ms per chunk against story length, full context vs a fixed budget. */
    @Command(name = "speed", mixinStandardHelpOptions = true,
            description = "ms per chunk against context length (1..9 scenes): full context vs a fixed kept-token budget.")
    public static final class Speed implements Callable<Integer> {
        @CommandLine.Mixin HostOptions host;
        @Option(names = "--model", description = "model folder (default: data/tinydit)")
        Path model;
        @Option(names = "--scenes", defaultValue = "9", description = "story length, 2..9 (default ${DEFAULT-VALUE})")
        int scenes;
        @Option(names = "--budget", defaultValue = "256", description = "kept history tokens for the fixed budget")
        int budget;

        @Override
        public Integer call() {
            if (scenes < 2 || scenes > 9) {
                throw new BadInputException("--scenes must be in [2, 9], got " + scenes);
            }
            host.check(model); // the device before the first line of output
            Eps eps = EpsGenerator.generate(Split.TEST, 1, scenes, 0).get(0);
            videoSaving();
            List<ContextSelector> sels = List.of(Selectors.full(), Selectors.random(budget));
            try (InfLVG lvg = host.load(model)) {
                // warm-up: one short story so the first measured chunk does not pay for start-up
                try (Story w = lvg.story(new Eps(0, eps.scenes().subList(0, 2), eps.identity(), null))) {
                    w.all();
                }
                List<double[]> ms = new ArrayList<>();
                List<int[]> ctx = new ArrayList<>();
                double[] total = new double[sels.size()];
                for (int k = 0; k < sels.size(); k++) {
                    double[] m = new double[scenes];
                    int[] c = new int[scenes];
                    long t0 = System.nanoTime();
                    try (Story st = lvg.story(eps).selector(sels.get(k))) {
                        for (int s = 0; s < scenes; s++) {
                            Scene sc = st.next();
                            m[s] = sc.msPerChunk();
                            c[s] = sc.contextTokens()[sc.contextTokens().length - 1];
                        }
                    }
                    total[k] = (System.nanoTime() - t0) / 1e9;
                    ms.add(m);
                    ctx.add(c);
                }
                System.out.printf("%-6s %22s %22s%n", "scene", "full: ms/chunk (ctx)", sels.get(1).name() + ": ms/chunk (ctx)");
                for (int s = 0; s < scenes; s++) {
                    System.out.printf("%-6d %14.1f (%5d) %14.1f (%5d)%n", s + 1, ms.get(0)[s], ctx.get(0)[s], ms.get(1)[s],
                            ctx.get(1)[s]);
                }
                System.out.printf("scene %d / scene 2 ratio: full %.2fx, %s %.2fx%n", scenes, ms.get(0)[scenes - 1] / ms.get(0)[1],
                        sels.get(1).name(), ms.get(1)[scenes - 1] / ms.get(1)[1]);
                System.out.printf("whole %d-scene story: full %.1f s, %s %.1f s%n", scenes, total[0], sels.get(1).name(), total[1]);
                // attention bookkeeping: the clean pass's queries the cache keeps for attention:K and provenance,
                // against a cache that keeps none; same story, in ABBA order (whichever runs first in a pair pays
                // for the previous story's garbage), best of 8 each (machines are noisy)
                double with = Double.MAX_VALUE, without = Double.MAX_VALUE, kept = 0, generating = 0;
                Eps four = new Eps(0, eps.scenes().subList(0, Math.min(4, scenes)), eps.identity(), null);
                for (int rep = 0; rep < 8; rep++) {
                    for (boolean keep : rep % 2 == 0 ? new boolean[] {true, false} : new boolean[] {false, true}) {
                        long a = System.nanoTime();
                        try (Story st = lvg.story(four).selector(sels.get(1))) {
                            st.cache().keepQueries(keep);
                            for (Scene sc : st.all()) {
                                generating += keep ? java.util.Arrays.stream(sc.chunkMillis()).sum() : 0;
                            }
                            kept += keep ? st.cache().bookkeepingMillis() : 0;
                        }
                        double sec = (System.nanoTime() - a) / 1e9;
                        if (keep) {
                            with = Math.min(with, sec);
                        } else {
                            without = Math.min(without, sec);
                        }
                    }
                }
                System.out.printf("attention bookkeeping (queries kept, the default): %.1f ms of %.0f ms generating "
                        + "(%.2f%%, timed inside the cache); %d-scene story best of 8: %.2f s with, %.2f s without "
                        + "(%+.1f%%, wall clock, noisy)%n", kept, generating, 100 * kept / generating,
                        four.scenes().size(), with, without, 100 * (with / without - 1));
                // GRPO rollouts: a batched group of 8 against one rollout, same transition, same kept-token count
                try (Story st = lvg.story(new Eps(0, eps.scenes().subList(0, 2), eps.identity(), null))) {
                    st.next();
                    int hist = st.cache().size();
                    int[] one = java.util.stream.IntStream.range(0, Math.min(budget, hist)).toArray();
                    int[][] g1 = {one}, g8 = new int[8][];
                    java.util.Arrays.fill(g8, one);
                    var ids = lvg.model().tokenize(eps.scenes().get(1));
                    double t1 = Double.MAX_VALUE, t8 = Double.MAX_VALUE;
                    for (int rep = 0; rep < 3; rep++) {
                        long a = System.nanoTime();
                        org.inflvg.model.ChunkGenerator.rollout(lvg.model(), st.cache(), g1, ids, 8, 2, 1);
                        long b = System.nanoTime();
                        org.inflvg.model.ChunkGenerator.rollout(lvg.model(), st.cache(), g8, ids, 8, 2, 1);
                        long c = System.nanoTime();
                        t1 = Math.min(t1, (b - a) / 1e6);
                        t8 = Math.min(t8, (c - b) / 1e6);
                    }
                    System.out.printf("GRPO rollout of 2 chunks: 1 member %.0f ms, group of 8 batched %.0f ms (%.2fx)%n",
                            t1, t8, t8 / t1);
                }
            }
            return 0;
        }
    }

    /** The command line as typed, for provenance. */
    static String commandLine(CommandLine.Model.CommandSpec spec) {
        List<String> args = spec.root().commandLine().getParseResult() == null ? List.of()
                : spec.root().commandLine().getParseResult().originalArgs();
        return "inflvg " + String.join(" ", args.stream().map(a -> a.matches("[A-Za-z0-9_./:,+=@-]+") ? a : "'" + a + "'")
                .toList());
    }

    /** {@code inflvg bench csv}: CsVBench over prompt sets x selectors x seeds, resumable and shardable. */
    @Command(name = "csv", mixinStandardHelpOptions = true,
            description = {"CsVBench: generate every prompt set x selector x seed as a whole story, measure every scene "
                    + "(identity, alignment, leakage, consistency, flicker, artifact, hybrid, compute) and write tables, "
                    + "plots and report.md. Re-running with the same --out resumes; --shard i/n runs a slice "
                    + "(combine slices with 'inflvg bench merge')."})
    public static final class Csv implements Callable<Integer> {
        static final String DEFAULT_SELECTORS = "full,none,window:8,sink:1+4,attention:256,text:256,policy:256";

        @CommandLine.Spec CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin HostOptions host;
        @Option(names = "--prompts", description = "EPS file (JSONL, keys \"0\"..\"N-1\"); default: the host's "
                + "prompts, else the test split of 'inflvg eps'")
        Path prompts;
        @Option(names = "--sets", defaultValue = "20", description = "prompt sets: the first N (default ${DEFAULT-VALUE})")
        int sets;
        @Option(names = "--scenes", defaultValue = "6", description = "scenes per story, 2..9 (default ${DEFAULT-VALUE})")
        int scenes;
        @Option(names = "--seeds", defaultValue = "0", description = "comma-separated seeds; each set and selector runs "
                + "once per seed (default ${DEFAULT-VALUE})")
        String seeds;
        @Option(names = "--selectors", defaultValue = DEFAULT_SELECTORS,
                description = "comma-separated selectors (default ${DEFAULT-VALUE}); forms: " + Selectors.FORMS)
        String selectors;
        @Option(names = "--shard", defaultValue = "0/1", description = "run slice i of n: cells whose index is i mod n "
                + "(default ${DEFAULT-VALUE}, everything)")
        String shard;
        @Option(names = "--samples", defaultValue = "2", description = "sample videos per selector (default ${DEFAULT-VALUE})")
        int samples;
        @Option(names = "--judge", defaultValue = "auto", description = "who scores the scenes: rewards[@DIR] (the "
                + "learned reward models, data/rewards by default), colour (the colour-heuristic fallback) or auto "
                + "(rewards when data/rewards exists, else colour; default)")
        String judge;
        @Option(names = "--model", description = "model folder (default: data/tinydit)")
        Path model;
        @Option(names = "--out", defaultValue = "results", description = "output folder (default ${DEFAULT-VALUE}); "
                + "an existing one is resumed")
        Path out;

        @Override
        public Integer call() {
            // everything the user typed is checked before the model loads
            if (sets < 1) {
                throw new BadInputException("--sets must be at least 1, got " + sets + "; e.g. --sets 20");
            }
            if (scenes < 2 || scenes > org.inflvg.bench.CsVBench.MAX_SCENES) {
                throw new BadInputException("--scenes must be in [2, " + org.inflvg.bench.CsVBench.MAX_SCENES
                        + "] (a transition needs 2 scenes; the model is trained for at most 9), got " + scenes
                        + "; e.g. --scenes 6");
            }
            long[] seedList;
            try {
                seedList = java.util.Arrays.stream(seeds.split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
            } catch (NumberFormatException e) {
                throw new BadInputException("--seeds must be comma-separated integers like 0,1,2, got '" + seeds + "'");
            }
            if (java.util.Arrays.stream(seedList).distinct().count() != seedList.length) {
                throw new BadInputException("--seeds must be distinct, got '" + seeds + "'");
            }
            if (samples < 0) {
                throw new BadInputException("--samples must be >= 0, got " + samples);
            }
            int[] sh = parseShard(shard);
            host.check(model);
            Path prompts = host.prompts(this.prompts);
            List<Eps> sets0 = null;
            if (prompts != null) {
                if (!java.nio.file.Files.isRegularFile(prompts)) {
                    throw new BadInputException("--prompts: file " + prompts + " does not exist; write one with 'inflvg eps "
                            + "--sets 20 --scenes 6 --split test --out eps.jsonl', or leave --prompts out to use the "
                            + "test split");
                }
                sets0 = EpsFile.read(prompts);
                if (sets > sets0.size()) {
                    throw new BadInputException("--sets is " + sets + " but " + prompts + " holds " + sets0.size()
                            + " prompt sets; use --sets " + sets0.size() + " or fewer");
                }
            }
            ReplayCommand.checkSelectors("--selectors", selectors, DEFAULT_SELECTORS);
            Path rewards = rewardsDir(judge, model, host.host());
            long t0 = System.nanoTime();
            try (InfLVG lvg = host.load(model);
                 JudgeChoice j = JudgeChoice.open(rewards, lvg.model().config().frameSize(), lvg.device());
                 Bar bar = bar("bench csv", 1)) {
                ProgressBar pb = bar.pb();
                System.out.println("judge: " + j.judge());
                org.inflvg.bench.CsVBench b = org.inflvg.bench.CsVBench.of(lvg).judge(j.judge());
                if (sets0 != null) {
                    b = b.prompts(prompts);
                }
                b = b.sets(sets).scenes(scenes).seeds(seedList).selectors(Selectors.parseList(selectors))
                        .shard(sh[0], sh[1]).samples(samples).out(out).command(commandLine(spec))
                        .progress((done, total, cell) -> {
                            pb.maxHint(total);
                            pb.stepTo(done);
                            pb.setExtraMessage(cell);
                        });
                org.inflvg.bench.CsvResults r = b.run();
                bar.close(); // draws the bar one last time, before the results
                System.out.println(r.markdown());
                System.out.printf("%s%n%d cells generated, %d resumed, %.1f s; wrote %s (report.md, results.csv, summary.csv, "
                        + "plots/)%n", r, r.generated(), r.skipped(), (System.nanoTime() - t0) / 1e9, out);
            }
            return 0;
        }

        /** The reward model folder the --judge word asks for, or null for the colour fallback. */
        static Path rewardsDir(String word, Path model) {
            return rewardsDir(word, model, null);
        }

        /** The same, where "rewards" and "auto" mean the host's rewards folder when a host file is given. */
        static Path rewardsDir(String word, Path model, org.inflvg.HostConfig host) {
            String w = word.trim();
            // where InfLVG.rewards() looks: the host's folder, else rewards/ beside the model folder, else the
            // checkout's data/rewards
            Path beside = model == null ? null : model.toAbsolutePath().getParent().resolve("rewards");
            Path shipped = host != null ? host.rewardsDir()
                    : beside != null && java.nio.file.Files.isDirectory(beside) ? beside
                    : org.inflvg.InfLVG.home().resolve("data").resolve("rewards");
            if (w.equals("colour") || w.equals("color")) {
                return null;
            }
            if (w.equals("auto")) {
                return java.nio.file.Files.isRegularFile(shipped.resolve("rewards.json")) ? shipped : null;
            }
            if (w.equals("rewards") || w.startsWith("rewards@")) {
                Path dir = w.equals("rewards") ? shipped : Path.of(w.substring("rewards@".length()));
                if (!java.nio.file.Files.isDirectory(dir)) {
                    throw new BadInputException("--judge " + w + ": no reward models in " + dir + "; train them with "
                            + "'./inflvg train rewards --out " + dir + "', or use --judge colour (the fallback)");
                }
                return dir;
            }
            throw new BadInputException("--judge must be auto, colour, rewards or rewards@DIR, got '" + w + "'");
        }

        static int[] parseShard(String s) {
            String[] p = s.split("/");
            try {
                if (p.length == 2) {
                    int i = Integer.parseInt(p[0].trim()), n = Integer.parseInt(p[1].trim());
                    if (n >= 1 && i >= 0 && i < n) {
                        return new int[] {i, n};
                    }
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new BadInputException("--shard must be i/n with n >= 1 and 0 <= i < n (shards 0/4, 1/4, 2/4, 3/4 "
                    + "cover everything), got '" + s + "'");
        }
    }

    /**
     * The judge of a bench run: the learned reward models (named with their checksum, so that a resumed run notices
     * other weights) or the colour fallback. Closing frees the reward models' native memory.
     */
    record JudgeChoice(org.inflvg.reward.Judge judge, org.inflvg.reward.RewardModels owned) implements AutoCloseable {
        static JudgeChoice open(Path rewards, int frameSize, ai.djl.Device device) {
            if (rewards == null) {
                return new JudgeChoice(org.inflvg.reward.ColourJudges.colour(frameSize), null);
            }
            org.inflvg.reward.RewardModels m = org.inflvg.reward.RewardModels.load(rewards, device);
            String name = "reward models " + org.inflvg.reward.RewardModels.checksum(rewards);
            return new JudgeChoice(named(m, name), m);
        }

        /** The same judge under a name that says which weights it is. */
        static org.inflvg.reward.Judge named(org.inflvg.reward.Judge j, String name) {
            return new org.inflvg.reward.Judge() {
                @Override
                public double[] backgroundProbabilities(org.inflvg.video.Video clip) {
                    return j.backgroundProbabilities(clip);
                }

                @Override
                public double subjectPresence(org.inflvg.video.Video clip) {
                    return j.subjectPresence(clip);
                }

                @Override
                public double alignment(org.inflvg.video.Video clip, org.inflvg.world.Prompt prompt) {
                    return j.alignment(clip, prompt);
                }

                @Override
                public double identity(org.inflvg.video.Video clip, org.inflvg.video.Video history) {
                    return j.identity(clip, history);
                }

                @Override
                public double subjectConsistency(org.inflvg.video.Video clip) {
                    return j.subjectConsistency(clip);
                }

                @Override
                public double artifact(org.inflvg.video.Video clip) {
                    return j.artifact(clip);
                }

                @Override
                public String toString() {
                    return name;
                }
            };
        }

        @Override
        public void close() {
            if (owned != null) {
                owned.close();
            }
        }
    }

    /** {@code inflvg bench merge}: CsVBench shard folders into one report. */
    @Command(name = "merge", mixinStandardHelpOptions = true,
            description = "Merge CsVBench shard folders (from 'inflvg bench csv --shard i/n') into one: the same cells, "
                    + "tables, plots and report.md a single run writes.")
    public static final class Merge implements Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;
        @CommandLine.Parameters(arity = "1..*", paramLabel = "DIR", description = "shard output folders")
        List<Path> dirs;
        @Option(names = "--out", required = true, description = "merged output folder")
        Path out;

        @Override
        public Integer call() {
            for (Path d : dirs) {
                if (!java.nio.file.Files.isRegularFile(d.resolve("run.json"))) {
                    throw new BadInputException(d + " is not a CsVBench output folder (no run.json); give the --out "
                            + "folders of 'inflvg bench csv --shard i/n' runs");
                }
            }
            org.inflvg.bench.CsvResults r = org.inflvg.bench.CsvResults.merge(dirs, out, commandLine(spec));
            System.out.println(r.markdown());
            System.out.println(r + "; wrote " + out);
            if (!r.complete()) {
                System.err.println("warning: the merged folders hold " + r.cells() + " of the " + r.expectedCells()
                        + " cells of this configuration; finish or add the missing shards and merge again");
            }
            return 0;
        }
    }

    /** Time to save a 72-frame 32x32 video (9 scenes) in each format, best of 3. */
    static void videoSaving() {
        var world = org.inflvg.world.SpriteWorld.standard();
        List<org.inflvg.video.Video> parts = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            parts.add(world.render("A robot jumps on the beach", 17, i).video());
        }
        org.inflvg.video.Video v = org.inflvg.video.Video.concat(parts);
        try {
            Path dir = java.nio.file.Files.createTempDirectory("inflvg-bench");
            StringBuilder sb = new StringBuilder("saving a 72-frame 32x32 video:");
            for (String ext : List.of("mp4", "gif", "png")) {
                double best = Double.MAX_VALUE;
                for (int r = 0; r < 3; r++) {
                    long t0 = System.nanoTime();
                    v.save(dir.resolve("v." + ext));
                    best = Math.min(best, (System.nanoTime() - t0) / 1e6);
                }
                sb.append(String.format(" %s %.0f ms", ext, best));
            }
            System.out.println(sb);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** JSON output helper. */
    static final class Files {
        static void write(Path p, Object o) throws java.io.IOException {
            Path abs = p.toAbsolutePath();
            java.nio.file.Files.createDirectories(abs.getParent());
            Path tmp = java.nio.file.Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp");
            new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), o);
            java.nio.file.Files.move(tmp, abs, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
