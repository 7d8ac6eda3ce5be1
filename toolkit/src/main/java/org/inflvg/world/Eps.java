package org.inflvg.world;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An event prompt set (EPS): the scene prompts of one multi-scene story, in order, sharing one subject. Prompts are
 * free text here; the world parses them only when asked to render ({@link #parsed()}).
 *
 * @param index    the set's index in its file (or -1)
 * @param scenes   the scene prompts, scene 0 first
 * @param identity the individual to render, or -1 when the file does not say (official EPS files do not)
 * @param split    the split it was generated for, or null
 */
public record Eps(int index, List<String> scenes, int identity, Split split) {

    public Eps {
        if (scenes == null || scenes.isEmpty()) {
            throw new IllegalArgumentException("an event prompt set needs at least one scene prompt");
        }
        scenes = List.copyOf(scenes);
    }

    /** A set from prompts separated by '|': "A robot jumps on the beach | A robot walks left in the forest". */
    public static Eps parse(String text) {
        List<String> parts = java.util.Arrays.stream(text.split("\\|")).map(String::trim).filter(s -> !s.isEmpty())
                .toList();
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("no scene prompts in '" + text + "'; separate scenes with '|'");
        }
        return new Eps(-1, parts, -1, null);
    }

    /** The same set with a given identity. */
    public Eps withIdentity(int id) {
        new Identity(id);
        return new Eps(index, scenes, id, split);
    }

    public int size() {
        return scenes.size();
    }

    /** The scene prompts parsed by SpriteWorld's grammar (errors name the scene and the vocabulary). */
    public List<Prompt> parsed() {
        return java.util.stream.IntStream.range(0, scenes.size()).mapToObj(i -> {
            try {
                return Prompt.parse(scenes.get(i));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("scene " + i + (index >= 0 ? " of prompt set " + index : "") + ": " + e.getMessage(), e);
            }
        }).toList();
    }

    /** The official JSON object of this set: keys "0".."N-1", numerically ordered. */
    public SortedMap<Integer, String> asMap() {
        SortedMap<Integer, String> m = new TreeMap<>();
        for (int i = 0; i < scenes.size(); i++) {
            m.put(i, scenes.get(i));
        }
        return m;
    }

    static Eps fromMap(int index, Map<Integer, String> m, int identity, Split split) {
        return new Eps(index, List.copyOf(new TreeMap<>(m).values()), identity, split);
    }

    @Override
    public String toString() {
        return "Eps#" + index + (identity >= 0 ? " identity " + identity : "") + " " + String.join(" | ", scenes);
    }
}
