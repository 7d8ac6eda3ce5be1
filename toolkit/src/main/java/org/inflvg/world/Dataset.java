package org.inflvg.world;

import java.util.Iterator;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * An endless, deterministic stream of single-scene clips with their ground truth, for training and evaluation. The
 * split decides which identities appear (never shared between splits); train and val never show a held-out
 * (action, background) pair, test shows only those pairs when {@code novelPairsOnly} is set.
 */
public final class Dataset {

    private final SpriteWorld world;
    private final Split split;
    private final long seed;

    public Dataset(SpriteWorld world, Split split, long seed) {
        this.world = world;
        this.split = split;
        this.seed = seed;
    }

    public Split split() {
        return split;
    }

    /** The {@code i}-th clip of this dataset (random access, deterministic). */
    public Clip clip(long i) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + i * 0x9E3779B97F4A7C15L);
        Subject s = Subject.values()[r.nextInt(Subject.values().length)];
        Action a;
        Background b;
        do {
            a = Action.values()[r.nextInt(Action.values().length)];
            b = Background.values()[r.nextInt(Background.values().length)];
        } while (Split.heldOutPair(a, b) && split != Split.TEST);
        return world.render(new Prompt(s, a, b), randomIdentity(split, r), r.nextLong());
    }

    /** A stream of clips starting at index {@code from}. */
    public Stream<Clip> stream(long from) {
        Iterator<Clip> it = new Iterator<>() {
            long i = from;

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public Clip next() {
                return clip(i++);
            }
        };
        return Stream.iterate(it.next(), c -> true, c -> it.next());
    }

    /** A uniformly drawn identity of {@code split}. */
    public static Identity randomIdentity(Split split, SplittableRandom r) {
        int offset = switch (split) {
            case TRAIN -> r.nextInt(8);
            case VAL -> 8;
            case TEST -> 9;
        };
        int tens = Identity.COUNT / 10 + (offset < Identity.COUNT % 10 ? 1 : 0);
        return new Identity(r.nextInt(tens) * 10 + offset);
    }
}
