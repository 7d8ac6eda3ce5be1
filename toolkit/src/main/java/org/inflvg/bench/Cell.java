package org.inflvg.bench;

import java.util.List;
import java.util.Map;

/**
 * One finished cell of a CsVBench run (prompt set x selector x seed), as one line of {@code cells.jsonl}.
 *
 * @param cell     the cell index, {@code (set * selectors + selector) * seeds + seed} over list positions
 * @param set      the set's position in the run's prompt list
 * @param eps      the set's own index (its number in the EPS file or generator)
 * @param selector the selector's one-word name
 * @param seed     the story's seed
 * @param identity the set's individual (-1: drawn from the seed)
 * @param prompts  the scene prompts generated
 * @param scenes   per scene, {@link CsvMetric} column to value (null where a metric does not apply)
 * @param seconds  wall time of the cell (generation and metrics)
 * @param sample   the sample video's path relative to the output folder, or null
 */
record Cell(int cell, int set, int eps, String selector, long seed, int identity, List<String> prompts,
            List<Map<String, Double>> scenes, double seconds, String sample) {

    /** What identifies a cell across runs and shards. */
    String key() {
        return key(set, selector, seed);
    }

    static String key(int set, String selector, long seed) {
        return set + "\t" + selector + "\t" + seed;
    }
}
