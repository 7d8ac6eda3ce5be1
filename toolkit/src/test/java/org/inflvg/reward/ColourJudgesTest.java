package org.inflvg.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.inflvg.video.Video;
import org.inflvg.world.Background;
import org.inflvg.world.Prompt;
import org.inflvg.world.SpriteWorld;
import org.junit.jupiter.api.Test;

/** The colour fallback judge on ground-truth renders: what it must tell apart, with its documented heuristics. */
class ColourJudgesTest {

    static final SpriteWorld WORLD = SpriteWorld.standard();
    static final Judge JUDGE = ColourJudges.colour(32);

    @Test
    void backgroundsAndAlignmentOnRenders() {
        Video beach = WORLD.render("A robot jumps on the beach", 17, 1).video();
        double[] p = JUDGE.backgroundProbabilities(beach);
        assertEquals(1, java.util.Arrays.stream(p).sum(), 1e-9);
        System.out.printf("p(beach) %.3f presence %.2f align %.3f%n", p[Background.BEACH.ordinal()],
                JUDGE.subjectPresence(beach), JUDGE.alignment(beach, Prompt.parse("A robot jumps on the beach")));
        for (Background b : Background.values()) {
            Video v = WORLD.render(new Prompt(org.inflvg.world.Subject.CAT, org.inflvg.world.Action.values()[1], b),
                    new org.inflvg.world.Identity(300), 2).video();
            double[] q = JUDGE.backgroundProbabilities(v);
            System.out.printf("%-12s p(own) %.3f presence %.2f%n", b, q[b.ordinal()], JUDGE.subjectPresence(v));
            assertTrue(q[b.ordinal()] > 0.5, b + " " + q[b.ordinal()]);
        }
        assertTrue(JUDGE.alignment(beach, Prompt.parse("A robot jumps on the beach"))
                > JUDGE.alignment(beach, Prompt.parse("A robot jumps in the forest")) + 0.3);
    }

    @Test
    void identityTellsIndividualsApart() {
        Video a = WORLD.render("A robot jumps on the beach", 17, 1).video();
        Video sameOtherScene = WORLD.render("A robot walks left in the forest", 17, 2).video();
        Video other = WORLD.render("A robot walks left in the forest", 17 + 5 + 12 * 3, 2).video();
        double same = JUDGE.identity(sameOtherScene, a), diff = JUDGE.identity(other, a);
        System.out.printf("identity same %.3f other %.3f; consistency %.3f%n", same, diff, JUDGE.subjectConsistency(a));
        assertTrue(same > diff + 0.2, same + " vs " + diff);
        assertTrue(JUDGE.subjectConsistency(a) > 0.7);
    }

    @Test
    void noiseAndFlickerLowerCleanliness() {
        Video clean = WORLD.render("A robot jumps on the beach", 17, 1).video();
        Random r = new Random(1);
        float[] x = clean.rgb();
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.max(0, Math.min(1, x[i] + (float) r.nextGaussian() * 0.15f));
        }
        Video noisy = Video.of(clean.frameCount(), 32, 32, x);
        System.out.printf("artifact clean %.3f noisy %.3f%n", JUDGE.artifact(clean), JUDGE.artifact(noisy));
        assertTrue(JUDGE.artifact(clean) > 0.8);
        assertTrue(JUDGE.artifact(noisy) < JUDGE.artifact(clean) - 0.3);
    }
}
