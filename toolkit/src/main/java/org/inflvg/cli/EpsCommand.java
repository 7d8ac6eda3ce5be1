package org.inflvg.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.inflvg.world.Eps;
import org.inflvg.world.EpsFile;
import org.inflvg.world.EpsGenerator;
import org.inflvg.world.Split;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code inflvg eps}: writes event prompt sets with the official composition rule. */
@Command(name = "eps", mixinStandardHelpOptions = true,
        description = "Write SpriteWorld event prompt sets (official JSONL format and composition rule).")
public final class EpsCommand implements Callable<Integer> {

    @Option(names = "--sets", defaultValue = "50", description = "number of prompt sets (default ${DEFAULT-VALUE})")
    int sets;
    @Option(names = "--scenes", defaultValue = "6", description = "scenes per set, 1..9 (default ${DEFAULT-VALUE})")
    int scenes;
    @Option(names = "--split", defaultValue = "test", description = "train, val or test (default ${DEFAULT-VALUE})")
    String split;
    @Option(names = "--seed", defaultValue = "0", description = "seed of the identities (default ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--out", required = true, description = "output file (.jsonl)")
    Path out;

    @Override
    public Integer call() {
        if (sets < 1 || sets > 100_000) {
            throw new BadInputException("--sets must be in [1, 100000], got " + sets);
        }
        if (scenes < 1 || scenes > 9) {
            throw new BadInputException("--scenes must be in [1, 9] (the model generates at most 9 scenes), got " + scenes);
        }
        List<Eps> list = EpsGenerator.generate(Split.parse(split), sets, scenes, seed);
        EpsFile.write(out, list);
        System.out.println("wrote " + list.size() + " " + split + " prompt sets of " + scenes + " scenes to " + out);
        for (int i = 0; i < Math.min(2, list.size()); i++) {
            System.out.println("  " + list.get(i));
        }
        return 0;
    }
}
