package org.inflvg.world;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generates event prompt sets with the official composition rule over SpriteWorld's vocabulary: set i, scene j uses
 * subject[i mod S], action[(i + j) mod A], background[(i + 2j) mod B]. Each set gets one identity of its split.
 * Splits: a set whose scenes contain a held-out (action, background) pair ({@link Split#heldOutPair}) belongs to test
 * only; the other set indices are divided between train and val. Identities are drawn from the split's own pool, so
 * splits never share an individual.
 */
public final class EpsGenerator {

    private EpsGenerator() {
    }

    /** The first {@code count} sets of {@code split}, each with {@code scenes} scenes (1..9 allowed up to 64). */
    public static List<Eps> generate(Split split, int count, int scenes, long seed) {
        if (count < 1) {
            throw new IllegalArgumentException("sets must be at least 1, got " + count);
        }
        if (scenes < 1 || scenes > 64) {
            throw new IllegalArgumentException("scenes must be in [1, 64], got " + scenes);
        }
        List<Eps> out = new ArrayList<>();
        for (int i = 0; out.size() < count; i++) {
            if (i > 1_000_000) {
                throw new IllegalStateException("could not find " + count + " sets for split " + split);
            }
            if (splitOf(i, scenes) != split) {
                continue;
            }
            List<String> prompts = new ArrayList<>();
            for (int j = 0; j < scenes; j++) {
                prompts.add(scene(i, j).toString());
            }
            SplittableRandom r = new SplittableRandom(seed * 7919L + i);
            out.add(new Eps(i, prompts, Dataset.randomIdentity(split, r).number(), split));
        }
        return out;
    }

    /** The official rule: the prompt of scene {@code j} of set {@code i}. */
    public static Prompt scene(int i, int j) {
        Subject[] s = Subject.values();
        Action[] a = Action.values();
        Background[] b = Background.values();
        return new Prompt(s[i % s.length], a[(i + j) % a.length], b[(i + 2 * j) % b.length]);
    }

    /** Which split set {@code i} belongs to, for stories of {@code scenes} scenes. */
    public static Split splitOf(int i, int scenes) {
        for (int j = 0; j < scenes; j++) {
            Prompt p = scene(i, j);
            if (Split.heldOutPair(p.action(), p.background())) {
                return Split.TEST;
            }
        }
        return (i % 5 == 4) ? Split.VAL : Split.TRAIN;
    }
}
