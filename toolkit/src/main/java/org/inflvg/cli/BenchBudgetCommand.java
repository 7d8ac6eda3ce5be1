package org.inflvg.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.inflvg.InfLVG;
import org.inflvg.bench.BudgetCard;
import org.inflvg.world.Eps;
import org.inflvg.world.EpsGenerator;
import org.inflvg.world.Split;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code inflvg bench budget}: the budget report card of one selector family. */
@Command(name = "budget", mixinStandardHelpOptions = true,
        description = "Sweep the kept-token budget K of one selector family (and full context) on a split's prompt sets: "
                + "hybrid score, its components and ms per chunk against K, by kind of scene switch.")
public final class BenchBudgetCommand implements Callable<Integer> {

    @picocli.CommandLine.Mixin HostOptions host;

    @Option(names = "--selector", defaultValue = "policy", description = "family: policy, random, attention or text (default ${DEFAULT-VALUE})")
    String family;
    @Option(names = "--budgets", defaultValue = "32,64,128,256,512,full", description = "kept tokens to try, 'full' for full context (default ${DEFAULT-VALUE})")
    String budgets;
    @Option(names = "--split", defaultValue = "val", description = "train, val or test (default ${DEFAULT-VALUE})")
    String split;
    @Option(names = "--sets", defaultValue = "10", description = "prompt sets (default ${DEFAULT-VALUE})")
    int sets;
    @Option(names = "--scenes", defaultValue = "4", description = "scenes per story, 2..9 (default ${DEFAULT-VALUE})")
    int scenes;
    @Option(names = "--seeds", defaultValue = "0", description = "comma-separated seeds (default ${DEFAULT-VALUE})")
    String seeds;
    @Option(names = "--model", description = "model folder (default: data/tinydit)")
    Path model;
    @Option(names = "--out", defaultValue = "results/budget", description = "output folder (default ${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() {
        if (!BudgetCard.FAMILIES.contains(family)) {
            throw new BadInputException("--selector must be one of " + BudgetCard.FAMILIES + " (a family with a budget K), "
                    + "got '" + family + "'");
        }
        int[] ks;
        try {
            ks = Arrays.stream(budgets.split(",")).map(String::trim)
                    .mapToInt(w -> w.equals("full") ? Integer.MAX_VALUE : Integer.parseInt(w)).toArray();
        } catch (NumberFormatException e) {
            throw new BadInputException("--budgets must be comma-separated token counts or 'full', like 32,128,full; got '"
                    + budgets + "'");
        }
        for (int k : ks) {
            if (k < 1) {
                throw new BadInputException("--budgets: every K must be at least 1, got " + k);
            }
        }
        Split sp = BenchSelectorsCommand.parseSplit(split);
        if (sets < 1 || sets > 1000 || scenes < 2 || scenes > 9) {
            throw new BadInputException("--sets must be in [1, 1000] and --scenes in [2, 9], got " + sets + " and " + scenes);
        }
        long[] seedList = BenchSelectorsCommand.parseSeeds(seeds);
        host.check(model);
        List<Eps> eps = EpsGenerator.generate(sp, sets, scenes, 0);
        try (InfLVG lvg = host.load(model);
             BenchCommand.Bar bar = BenchCommand.bar("bench budget", (long) ks.length * sets * seedList.length)) {
            ProgressBar pb = bar.pb();
            BudgetCard card = BudgetCard.run(lvg, lvg.reward(), eps, family, ks, seedList, pb::stepTo);
            bar.close(); // draws the bar one last time, before the results
            System.out.println(card.table().print(100));
            card.write(out);
            System.out.println("wrote " + out.resolve("budget.md") + ", budget.csv and budget-*.png");
        }
        return 0;
    }
}
