package org.inflvg.bench;

import java.util.List;

/**
 * Provenance of a CsVBench run, saved as {@code run.json} beside the cells and quoted in {@code report.md}.
 *
 * @param tool          "inflvg"
 * @param version       toolkit version
 * @param time          when the run (or merge) started, ISO-8601
 * @param command       the command line, or "(API)"
 * @param model         the model folder
 * @param modelSha256   SHA-256 of the model's weights
 * @param judge         the judge that scored the scenes (its {@code toString})
 * @param scenes        scenes per story
 * @param sets          number of prompt sets
 * @param seeds         the seeds
 * @param selectors     the selectors' one-word names, in table order
 * @param prompts       where the prompt sets came from
 * @param promptsSha256 SHA-256 of the sets' identities and prompts (cut to {@code scenes})
 * @param weights       hybrid weights: alignment, artifact, identity
 * @param shard         "i/n" ("0/1" for a whole run, "merged" for a merge)
 * @param mergedFrom    the shard folders of a merge (empty otherwise)
 * @param java          Java version
 * @param cores         available processors
 * @param sampling      how chunks were sampled ({@code InfLVG.sampling()} as text, e.g. "4 Euler steps, guidance 1.0";
 *                      null in runs written before it was recorded: those match any)
 */
public record RunInfo(String tool, String version, String time, String command, String model, String modelSha256,
                      String judge, int scenes, int sets, List<Long> seeds, List<String> selectors, String prompts,
                      String promptsSha256, List<Double> weights, String shard, List<String> mergedFrom, String java,
                      int cores, String sampling) {

    /** The toolkit version recorded in every run. */
    public static final String VERSION = "0.1.0";

    /** What must agree for two runs' cells to be one benchmark: model, judge, story length, hybrid weights. */
    String resultsKey() {
        return modelSha256 + "|" + judge + "|" + scenes + "|" + weights;
    }

    /** What must also agree for shards to merge: the same cells (sets, prompts, seeds, selectors). */
    String cellsKey() {
        return resultsKey() + "|" + sets + "|" + promptsSha256 + "|" + seeds + "|" + selectors;
    }

    /** Whether two runs sampled chunks the same way (a run that did not record it matches any). */
    boolean sameSampling(RunInfo other) {
        return sampling == null || other.sampling == null || sampling.equals(other.sampling);
    }

    RunInfo merged(String time, String command, List<String> from) {
        return new RunInfo(tool, version, time, command, model, modelSha256, judge, scenes, sets, seeds, selectors,
                prompts, promptsSha256, weights, "merged", List.copyOf(from), java, cores, sampling);
    }
}
