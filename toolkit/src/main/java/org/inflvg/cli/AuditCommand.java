package org.inflvg.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.inflvg.grpo.Audit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code inflvg audit RUN}: the reward audit of a GRPO run folder (summary, warnings, plots, audit.md). */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Reward audit of a GRPO run from its grpo-log.jsonl (live or finished): reward components and "
                + "their group spread, zero-spread groups, entropy, overlap within groups, warnings for the known "
                + "failure patterns. Prints the summary; writes audit.md and PNG plots into the run folder or --out.")
public final class AuditCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RUN", description = "a GRPO run folder (holds grpo-log.jsonl), e.g. runs/grpo")
    Path run;
    @Option(names = "--out", description = "where audit.md and the plots go (default: the run folder)")
    Path out;

    @Override
    public Integer call() {
        Path log = Files.isDirectory(run) ? run.resolve("grpo-log.jsonl") : run;
        if (!Files.isRegularFile(log)) {
            throw new BadInputException("RUN must be a GRPO run folder holding grpo-log.jsonl (written by './inflvg grpo "
                    + "--out DIR' or './inflvg train policy --out DIR'); " + run + " has none");
        }
        Audit a = Audit.of(run);
        System.out.print(a.summary());
        Path dir = out != null ? out : (Files.isDirectory(run) ? run : run.toAbsolutePath().getParent());
        Path md = a.write(dir);
        System.out.println("wrote " + md + " and its plots (audit-*.png)");
        return 0;
    }
}
