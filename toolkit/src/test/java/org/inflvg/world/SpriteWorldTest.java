package org.inflvg.world;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.inflvg.video.Video;
import org.junit.jupiter.api.Test;

class SpriteWorldTest {

    final SpriteWorld world = SpriteWorld.standard();

    @Test
    void everyPromptRoundTripsAndParsingIsCaseInsensitive() {
        int n = 0;
        for (Subject s : Subject.values()) {
            for (Action a : Action.values()) {
                for (Background b : Background.values()) {
                    Prompt p = new Prompt(s, a, b);
                    assertEquals(p, Prompt.parse(p.toString()));
                    assertEquals(p, Prompt.parse("  " + p.toString().toUpperCase().replace(" ", "   ") + " "));
                    n++;
                }
            }
        }
        assertEquals(8 * 8 * 12, n);
        assertEquals("An alien stands still in the night city",
                Prompt.parse("an ALIEN stands still in the night city").toString());
    }

    @Test
    void unknownWordsListTheVocabulary() {
        for (String bad : new String[] {"A dragon jumps on the beach", "A robot flies on the beach",
            "A robot jumps on the moon", "robot jumps on the beach", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Prompt.parse(bad));
            assertTrue(e.getMessage().contains("beach") || e.getMessage().contains("e.g."), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Prompt.parse("A dragon jumps on the beach"));
        assertTrue(e.getMessage().contains("robot, cat, knight"), e.getMessage());
    }

    @Test
    void renderingIsDeterministicAndSeedMatters() {
        Clip a = world.render("A robot jumps on the beach", 17, 5), b = world.render("A robot jumps on the beach", 17, 5);
        assertArrayEquals(a.video().rgb(), b.video().rgb());
        assertNotEquals(a.video().sha256(), world.render("A robot jumps on the beach", 17, 6).video().sha256());
    }

    /** Subject colours of a frame under the mask, pixel by pixel, as packed 8-bit RGB. */
    static java.util.List<Integer> subjectColours(Clip c, int f) {
        java.util.List<Integer> s = new java.util.ArrayList<>();
        Video v = c.video();
        int n = v.width();
        for (int i = 0; i < n * n; i++) {
            if (c.mask()[f][i]) {
                int y = i / n, x = i % n;
                s.add(Math.round(v.get(f, y, x, 0) * 255) << 16 | Math.round(v.get(f, y, x, 1) * 255) << 8
                        | Math.round(v.get(f, y, x, 2) * 255));
            }
        }
        return s;
    }

    @Test
    void anIndividualLooksTheSameOnEveryBackgroundAndDiffersFromOthers() {
        for (int id : new int[] {0, 17, 777, 1583}) {
            Clip beach = world.render(new Prompt(Subject.CAT, Action.STANDS_STILL, Background.BEACH), new Identity(id), 3);
            Clip space = world.render(new Prompt(Subject.CAT, Action.STANDS_STILL, Background.SPACE), new Identity(id), 3);
            assertArrayEquals(beach.mask()[0], space.mask()[0]);
            int n = 32;
            for (int i = 0; i < n * n; i++) {
                if (beach.mask()[0][i]) {
                    for (int c = 0; c < 3; c++) {
                        assertEquals(beach.video().get(0, i / n, i % n, c), space.video().get(0, i / n, i % n, c), 0f);
                    }
                }
            }
            Clip other = world.render(new Prompt(Subject.CAT, Action.STANDS_STILL, Background.BEACH),
                    new Identity((id + 1) % Identity.COUNT), 3);
            assertNotEquals(subjectColours(beach, 0), subjectColours(other, 0));
        }
    }

    @Test
    void everyIdentityHasItsOwnAppearance() {
        Set<String> seen = new HashSet<>();
        for (int id = 0; id < Identity.COUNT; id++) {
            Identity i = new Identity(id);
            assertTrue(seen.add(i.primary() + "/" + i.secondary() + "/" + i.marking() + "/" + i.accessory()));
            assertNotEquals(i.primary(), i.secondary());
        }
        assertTrue(Identity.COUNT >= 1000);
        assertThrows(IllegalArgumentException.class, () -> new Identity(Identity.COUNT));
    }

    static double[] centroid(Clip c, int f) {
        double sx = 0, sy = 0, n = 0;
        for (int i = 0; i < 32 * 32; i++) {
            if (c.mask()[f][i]) {
                sx += i % 32;
                sy += i / 32;
                n++;
            }
        }
        return new double[] {sx / n, sy / n, n};
    }

    @Test
    void actionsMoveTheSubjectAsNamed() {
        Identity id = new Identity(5);
        Clip right = world.render(new Prompt(Subject.ROBOT, Action.WALKS_RIGHT, Background.ROOM), id, 1);
        Clip left = world.render(new Prompt(Subject.ROBOT, Action.WALKS_LEFT, Background.ROOM), id, 1);
        Clip jump = world.render(new Prompt(Subject.ROBOT, Action.JUMPS, Background.ROOM), id, 1);
        Clip grow = world.render(new Prompt(Subject.ROBOT, Action.GROWS, Background.ROOM), id, 1);
        Clip shrink = world.render(new Prompt(Subject.ROBOT, Action.SHRINKS, Background.ROOM), id, 1);
        Clip still = world.render(new Prompt(Subject.ROBOT, Action.STANDS_STILL, Background.ROOM), id, 1);
        assertTrue(centroid(right, 7)[0] > centroid(right, 0)[0] + 5);
        assertTrue(centroid(left, 7)[0] < centroid(left, 0)[0] - 5);
        assertTrue(centroid(jump, 4)[1] < centroid(jump, 0)[1] - 3 && centroid(jump, 7)[1] > centroid(jump, 4)[1]);
        assertTrue(centroid(grow, 7)[2] > 1.5 * centroid(grow, 0)[2]);
        assertTrue(centroid(shrink, 7)[2] < 0.67 * centroid(shrink, 0)[2]);
        for (int f = 1; f < 8; f++) {
            assertArrayEquals(still.mask()[0], still.mask()[f]);
        }
        for (Action a : Action.values()) {
            Clip c = world.render(new Prompt(Subject.FISH, a, Background.DESERT), id, 2);
            for (int f = 0; f < 8; f++) {
                assertTrue(c.coverage(f) > 0.03 && c.coverage(f) < 0.4, a + " frame " + f + " coverage " + c.coverage(f));
            }
        }
    }

    @Test
    void backgroundsAreTellApartByColour() {
        // nearest mean colour of subject-free renders with other texture phases classifies every background
        double[][] means = new double[12][];
        for (Background b : Background.values()) {
            means[b.ordinal()] = mean(world.renderBackground(b, 0));
        }
        for (Background b : Background.values()) {
            for (int seed = 1; seed < 4; seed++) {
                double[] m = mean(world.renderBackground(b, seed));
                int best = -1;
                double bd = Double.MAX_VALUE;
                for (int k = 0; k < 12; k++) {
                    double d = 0;
                    for (int c = 0; c < 3; c++) {
                        d += (m[c] - means[k][c]) * (m[c] - means[k][c]);
                    }
                    if (d < bd) {
                        bd = d;
                        best = k;
                    }
                }
                assertEquals(b.ordinal(), best, b + " seed " + seed);
            }
        }
    }

    static double[] mean(Video v) {
        double[] m = new double[3];
        float[] rgb = v.rgb();
        for (int i = 0; i < rgb.length; i++) {
            m[i % 3] += rgb[i] / (rgb.length / 3.0);
        }
        return m;
    }

    @Test
    void datasetSplitsNeverShareIndividualsAndTrainNeverShowsHeldOutPairs() {
        Set<Integer> train = new HashSet<>(), val = new HashSet<>(), test = new HashSet<>();
        Dataset tr = new Dataset(world, Split.TRAIN, 1), va = new Dataset(world, Split.VAL, 1), te = new Dataset(world, Split.TEST, 1);
        for (int i = 0; i < 300; i++) {
            Clip c = tr.clip(i);
            train.add(c.identity().number());
            assertFalse(Split.heldOutPair(c.prompt().action(), c.prompt().background()));
            val.add(va.clip(i).identity().number());
            test.add(te.clip(i).identity().number());
        }
        assertTrue(disjoint(train, val) && disjoint(train, test) && disjoint(val, test));
        assertArrayEquals(tr.clip(42).video().rgb(), tr.clip(42).video().rgb());
    }

    static boolean disjoint(Set<Integer> a, Set<Integer> b) {
        return a.stream().noneMatch(b::contains);
    }
}
