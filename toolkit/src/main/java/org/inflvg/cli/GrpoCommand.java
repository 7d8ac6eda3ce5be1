package org.inflvg.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.inflvg.InfLVG;
import org.inflvg.grpo.GrpoConfig;
import org.inflvg.grpo.PolicyTraining;
import org.inflvg.world.Eps;
import org.inflvg.world.EpsFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code inflvg grpo}: test-time GRPO on one prompt set (a fresh policy per scene switch). */
@Command(name = "grpo", mixinStandardHelpOptions = true,
        description = "Test-time GRPO: per scene switch of a prompt set, a fresh policy, N updates, then top-K; "
                + "--sets N runs N sets and prints the before/after summary.")
public final class GrpoCommand implements Callable<Integer> {

    @picocli.CommandLine.Mixin HostOptions host;

    @Option(names = "--prompts", description = "EPS file (JSONL); default: the host's prompts, else generated "
            + "test-split sets of --scenes scenes")
    Path prompts;
    @Option(names = "--scenes", defaultValue = "2", description = "scenes per generated set when no --prompts (default ${DEFAULT-VALUE})")
    int scenes;
    @Option(names = "--set", defaultValue = "0", description = "which set of the file (the first, with --sets)")
    int set;
    @Option(names = "--sets", defaultValue = "1", description = "how many consecutive sets; more than one prints the before/after summary")
    int count;
    @Option(names = "--steps", defaultValue = "20", description = "GRPO updates per scene switch (default ${DEFAULT-VALUE})")
    int steps;
    @Option(names = "--group", description = "rollouts per group G (default: the host's batch.group, else 8)")
    Integer group;
    @Option(names = "--budget", defaultValue = "128", description = "kept tokens K of the fresh policies (default ${DEFAULT-VALUE})")
    int budget;
    @Option(names = "--lr", defaultValue = "1e-3", description = "learning rate (default ${DEFAULT-VALUE})")
    double lr;
    @Option(names = "--seed", defaultValue = "0")
    long seed;
    @Option(names = "--accumulate", defaultValue = "1", description = "groups per optimiser step (gradient accumulation; default ${DEFAULT-VALUE})")
    int accumulate;
    @Option(names = "--ref-kl", defaultValue = "0", description = "weight of the KL to the policy as it started (default ${DEFAULT-VALUE}: off)")
    double refKl;
    @Option(names = "--logit-scale", paramLabel = "S", description = "multiply the fresh policies' logits by S: the "
            + "top-K is unchanged, the sampling distribution sharpens about S times faster (default: the loaded "
            + "policy's, 1 for the shipped one; e.g. 10)")
    Double logitScale;
    @Option(names = "--clip-grad", paramLabel = "N", defaultValue = "10", description = "clip each update's gradient "
            + "to global norm N (default ${DEFAULT-VALUE})")
    double clipGrad;
    @Option(names = "--model", description = "model folder (default: data/tinydit)")
    Path model;
    @Option(names = "--out", defaultValue = "runs/grpo", description = "output folder (default ${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() {
        if (steps < 1) {
            throw new BadInputException("--steps must be at least 1, got " + steps);
        }
        if (count < 1) {
            throw new BadInputException("--sets must be at least 1, got " + count);
        }
        if (budget < 1) {
            throw new BadInputException("--budget must be at least 1 kept token, got " + budget);
        }
        if (logitScale != null) {
            TrainCommand.Policy.checkLogitScale(logitScale);
        }
        TrainCommand.Policy.checkClipGrad(clipGrad);
        host.check(model);
        Path prompts = host.prompts(this.prompts);
        int group = host.group(this.group);
        if (prompts == null && (scenes < 2 || scenes > 9)) {
            throw new BadInputException("--scenes must be in [2, 9], got " + scenes);
        }
        List<Eps> sets = prompts != null ? EpsFile.read(prompts)
                : org.inflvg.world.EpsGenerator.generate(org.inflvg.world.Split.TEST, set + count, scenes, 0);
        if (set < 0 || set + count > sets.size()) {
            throw new BadInputException("--set and --sets must pick sets inside [0, " + (sets.size() - 1) + "], got "
                    + set + " and " + count);
        }
        GrpoConfig cfg = GrpoConfig.DEFAULT.withGroupSize(group).withLearningRate(lr).withSeed(seed)
                .withAccumulation(accumulate).withReferenceKl(refKl).withClipGrad(clipGrad);
        long total = 0;
        for (int i = set; i < set + count; i++) {
            total += (long) steps * (sets.get(i).size() - 1);
        }
        List<double[]> all = new java.util.ArrayList<>();
        StringBuilder rows = new StringBuilder(String.format("%-6s %-8s %10s %10s%n", "set", "switch", "before", "after"));
        try (InfLVG lvg = host.load(model); BenchCommand.Bar bar = BenchCommand.bar("grpo", total)) {
            ProgressBar pb = bar.pb();
            var fresh = lvg.policy().config().withBudget(budget);
            fresh = logitScale != null ? fresh.withLogitScale(logitScale) : fresh;
            for (int k = set; k < set + count; k++) {
                Eps eps = sets.get(k);
                Path dir = count == 1 ? out : out.resolve("set-" + k);
                PolicyTraining.TestTimeResult r = PolicyTraining.testTime(lvg,
                        fresh, eps, lvg.reward(), cfg, steps,
                        seed, dir, st -> {
                            pb.step();
                            pb.setExtraMessage(String.format("scene %d reward %.3f", st.scene(), st.meanReward()));
                        });
                for (int i = 0; i < r.beforeAfter().size(); i++) {
                    double[] ba = r.beforeAfter().get(i);
                    all.add(ba);
                    rows.append(String.format("%-6d %-8s %10.3f %10.3f%n", k, i + "->" + (i + 1), ba[0], ba[1]));
                }
                GenerateCommand.writeStory(dir, "story", r.video(), 8);
            }
            bar.close(); // draws the bar one last time, before the results
        }
        System.out.print(rows);
        if (all.size() > 1) {
            double[] d = all.stream().mapToDouble(x -> x[1] - x[0]).toArray();
            double mb = all.stream().mapToDouble(x -> x[0]).average().orElse(0);
            double ma = all.stream().mapToDouble(x -> x[1]).average().orElse(0);
            double md = java.util.Arrays.stream(d).average().orElse(0), sd = 0;
            for (double x : d) {
                sd += (x - md) * (x - md) / (d.length - 1);
            }
            long up = java.util.Arrays.stream(d).filter(x -> x > 0).count();
            System.out.printf("%d switches: hybrid reward of the top-K selection before %.3f, after %.3f; "
                    + "change %+.3f +- %.3f (95%%), improved in %d of %d%n", d.length, mb, ma, md,
                    1.96 * Math.sqrt(sd / d.length), up, d.length);
        }
        System.out.println("wrote logs and story.gif under " + out.toAbsolutePath());
        return 0;
    }
}
