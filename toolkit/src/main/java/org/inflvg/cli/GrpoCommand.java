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
        description = "Test-time GRPO on one prompt set: per scene switch, a fresh policy, N updates, then top-K.")
public final class GrpoCommand implements Callable<Integer> {

    @Option(names = "--prompts", required = true, description = "EPS file (JSONL)")
    Path prompts;
    @Option(names = "--set", defaultValue = "0", description = "which set of the file")
    int set;
    @Option(names = "--steps", defaultValue = "20", description = "GRPO updates per scene switch (default ${DEFAULT-VALUE})")
    int steps;
    @Option(names = "--group", defaultValue = "8", description = "rollouts per group G (default ${DEFAULT-VALUE})")
    int group;
    @Option(names = "--lr", defaultValue = "1e-3", description = "learning rate (default ${DEFAULT-VALUE})")
    double lr;
    @Option(names = "--seed", defaultValue = "0")
    long seed;
    @Option(names = "--model", description = "model folder (default: data/tinydit)")
    Path model;
    @Option(names = "--out", defaultValue = "runs/grpo", description = "output folder (default ${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() {
        if (steps < 1) {
            throw new BadInputException("--steps must be at least 1, got " + steps);
        }
        List<Eps> sets = EpsFile.read(prompts);
        if (set < 0 || set >= sets.size()) {
            throw new BadInputException("--set must be in [0, " + (sets.size() - 1) + "], got " + set);
        }
        Eps eps = sets.get(set);
        GrpoConfig cfg = GrpoConfig.DEFAULT.withGroupSize(group).withLearningRate(lr).withSeed(seed);
        try (InfLVG lvg = BenchCommand.load(model);
             ProgressBar pb = BenchCommand.bar("grpo", (long) steps * (eps.size() - 1))) {
            PolicyTraining.TestTimeResult r = PolicyTraining.testTime(lvg, eps, lvg.reward(), cfg, steps,
                    seed, out, st -> {
                        pb.step();
                        pb.setExtraMessage(String.format("scene %d reward %.3f", st.scene(), st.meanReward()));
                    });
            pb.close();
            System.out.printf("%-8s %10s %10s%n", "switch", "before", "after");
            for (int i = 0; i < r.beforeAfter().size(); i++) {
                System.out.printf("%-8s %10.3f %10.3f%n", i + "->" + (i + 1), r.beforeAfter().get(i)[0],
                        r.beforeAfter().get(i)[1]);
            }
            GenerateCommand.writeStory(out, "story", r.video(), 8);
            System.out.println("wrote " + out.resolve("grpo-log.jsonl") + " and " + out.resolve("story.gif"));
        }
        return 0;
    }
}
