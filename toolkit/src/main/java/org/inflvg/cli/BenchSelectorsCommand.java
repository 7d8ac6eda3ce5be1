package org.inflvg.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.inflvg.InfLVG;
import org.inflvg.bench.SelectorComparison;
import org.inflvg.select.ContextSelector;
import org.inflvg.select.Selectors;
import org.inflvg.world.Eps;
import org.inflvg.world.EpsGenerator;
import org.inflvg.world.Split;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code inflvg bench selectors}: the hybrid reward of every selector on a split's prompt sets, mean +- 95%. */
@Command(name = "selectors", mixinStandardHelpOptions = true,
        description = "Compare selectors on the hybrid reward of generated scene transitions (same noise for all), "
                + "mean +- 95%% interval over sets x seeds, with the paired difference to the first selector.")
public final class BenchSelectorsCommand implements Callable<Integer> {

    @picocli.CommandLine.Mixin HostOptions host;

    @Option(names = "--split", defaultValue = "val", description = "prompt sets from: train, val or test (default ${DEFAULT-VALUE})")
    String split;
    @Option(names = "--sets", defaultValue = "20", description = "prompt sets (default ${DEFAULT-VALUE})")
    int sets;
    @Option(names = "--scenes", defaultValue = "2", description = "scenes per story, 2..9 (default ${DEFAULT-VALUE})")
    int scenes;
    @Option(names = "--seeds", defaultValue = "0,1,2", description = "comma-separated seeds (default ${DEFAULT-VALUE})")
    String seeds;
    @Option(names = "--selectors", defaultValue = "policy:128,full,none,window:2,sink:1+1,random:128,attention:128,text:128",
            description = "selectors, the first is the reference (default ${DEFAULT-VALUE}); forms: " + Selectors.FORMS)
    String selectors;
    @Option(names = "--model", description = "model folder (default: data/tinydit)")
    Path model;
    @Option(names = "--out", description = "write the figures as JSON here")
    Path out;

    @Override
    public Integer call() throws Exception {
        Split sp = parseSplit(split);
        if (sets < 1 || sets > 1000) {
            throw new BadInputException("--sets must be in [1, 1000], got " + sets);
        }
        if (scenes < 2 || scenes > 9) {
            throw new BadInputException("--scenes must be in [2, 9], got " + scenes);
        }
        long[] seedList = parseSeeds(seeds);
        ReplayCommand.checkSelectors("--selectors", selectors, "policy:128,full,none");
        List<ContextSelector> sels = Selectors.parseList(selectors);
        host.check(model);
        List<Eps> eps = EpsGenerator.generate(sp, sets, scenes, 0);
        try (InfLVG lvg = host.load(model);
             BenchCommand.Bar bar = BenchCommand.bar("bench selectors", (long) sets * seedList.length * sels.size())) {
            ProgressBar pb = bar.pb();
            SelectorComparison.Result r = SelectorComparison.run(lvg, lvg.reward(), eps, scenes, sels, seedList,
                    pb::stepTo);
            bar.close(); // draws the bar one last time, before the results
            System.out.println("split " + sp.name().toLowerCase() + ", model " + lvg.checksum().substring(0, 12));
            System.out.print(r.table());
            if (out != null) {
                BenchCommand.Files.write(out, r);
                System.out.println("wrote " + out);
            }
        }
        return 0;
    }

    /** {@code --split}: train, val or test (any case), else exit 2. */
    static Split parseSplit(String split) {
        try {
            return Split.valueOf(split.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--split must be train, val or test, got '" + split + "'");
        }
    }

    /** {@code --seeds}: comma-separated integers, else exit 2. */
    static long[] parseSeeds(String seeds) {
        try {
            return Arrays.stream(seeds.split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
        } catch (NumberFormatException e) {
            throw new BadInputException("--seeds must be comma-separated integers like 0,1,2, got '" + seeds + "'");
        }
    }
}
