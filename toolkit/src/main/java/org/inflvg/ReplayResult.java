package org.inflvg;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.inflvg.grpo.RewardFunction;
import org.inflvg.select.Selection;
import org.inflvg.video.Video;

/**
 * The side-by-side result of a {@link Replay}: per alternative its selection, frames, every reward component, kept
 * tokens and milliseconds per chunk, and whether its frames equal the story's scene.
 *
 * @param transition     the replayed scene's index
 * @param prompt         its prompt
 * @param previousPrompt the prompt of the scene before
 * @param seed           the story's seed (the noise every alternative shared)
 * @param storySha256    SHA-256 of the story's own frames of the scene ({@link Video#sha256()})
 * @param storySelector  the selector that made the story's selection
 * @param rows           one row per alternative, in the order they were added
 * @param generateMillis wall time of selection and generation of all alternatives (snapshots included)
 * @param rewardMillis   wall time of scoring them
 * @param reward         the reward function, described
 */
public record ReplayResult(int transition, String prompt, String previousPrompt, long seed, String storySha256,
                           String storySelector, List<Row> rows, double generateMillis, double rewardMillis,
                           String reward) {

    public ReplayResult {
        rows = List.copyOf(rows);
    }

    /**
     * One alternative.
     *
     * @param name         "original", the selector's name, or the edited selection's name
     * @param selection    the history tokens it kept
     * @param video        the scene generated under it
     * @param score        every reward component, the total and the reward's note
     * @param chunkMillis  wall milliseconds of each chunk
     * @param selectMillis wall milliseconds of the selection (0 for a fixed one)
     */
    public record Row(String name, Selection selection, Video video, RewardFunction.Score score, double[] chunkMillis,
                      double selectMillis) {

        /** History tokens kept. */
        public int kept() {
            return selection.size();
        }

        /** Mean milliseconds per chunk. */
        public double msPerChunk() {
            return Arrays.stream(chunkMillis).average().orElse(0);
        }

        /** SHA-256 of the frames. */
        public String sha256() {
            return video.sha256();
        }

        /** Reward components by name. */
        public Map<String, Double> rewards() {
            return score.components();
        }

        /** The reward total. */
        public double reward() {
            return score.total();
        }
    }

    /** The row named {@code name}. */
    public Row row(String name) {
        return rows.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("no alternative named '" + name + "'; have "
                        + rows.stream().map(Row::name).toList()));
    }

    /** Whether the alternative's frames are the story's frames of the scene (SHA-256 of 8-bit RGB). */
    public boolean reproducesStory(String name) {
        return row(name).sha256().equals(storySha256);
    }

    /** The alternatives' scenes stacked top to bottom, one strip per alternative in row order. */
    public Video grid() {
        return Video.stack(rows.stream().map(Row::video).toList());
    }

    /** One line per alternative: kept tokens, every reward component, the total, ms per chunk, same as the story. */
    public String table() {
        var keys = new LinkedHashSet<String>();
        rows.forEach(r -> keys.addAll(r.rewards().keySet()));
        int w = Math.max(12, rows.stream().mapToInt(r -> r.name().length()).max().orElse(0) + 1);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("transition %d: \"%s\" -> \"%s\" (seed %d, story selector %s)%n", transition,
                previousPrompt, prompt, seed, storySelector));
        sb.append(String.format("%-" + w + "s %6s", "alternative", "kept"));
        for (String k : keys) {
            sb.append(String.format(" %10s", k));
        }
        sb.append(String.format(" %8s %9s %6s  %s%n", "reward", "ms/chunk", "=story", "note"));
        for (Row r : rows) {
            sb.append(String.format("%-" + w + "s %6d", r.name(), r.kept()));
            for (String k : keys) {
                Double v = r.rewards().get(k);
                sb.append(v == null ? String.format(" %10s", "-") : String.format(" %10.3f", v));
            }
            sb.append(String.format(" %8.3f %9.1f %6s  %s%n", r.reward(), r.msPerChunk(),
                    r.sha256().equals(storySha256) ? "yes" : "no", r.score().note()));
        }
        sb.append(String.format("generation %.0f ms, reward %.0f ms (%s)%n", generateMillis, rewardMillis, reward));
        return sb.toString();
    }

    /** The rows' names. */
    public List<String> names() {
        return new ArrayList<>(rows.stream().map(Row::name).toList());
    }

    @Override
    public String toString() {
        return "ReplayResult[transition " + transition + ", " + rows.size() + " alternatives " + names() + "]";
    }
}
