package org.inflvg.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EpsTest {

    @Test
    void officialCompositionRule() {
        for (int i = 0; i < 40; i++) {
            for (int j = 0; j < 6; j++) {
                Prompt p = EpsGenerator.scene(i, j);
                assertEquals(Subject.values()[i % 8], p.subject());
                assertEquals(Action.values()[(i + j) % 8], p.action());
                assertEquals(Background.values()[(i + 2 * j) % 12], p.background());
            }
        }
        for (Eps e : EpsGenerator.generate(Split.TEST, 5, 6, 0)) {
            for (int j = 0; j < 6; j++) {
                assertEquals(EpsGenerator.scene(e.index(), j).toString(), e.scenes().get(j));
            }
        }
    }

    @Test
    void keysAreOrderedNumerically(@TempDir Path dir) throws Exception {
        StringBuilder line = new StringBuilder("{");
        for (int k = 11; k >= 0; k--) {
            line.append('"').append(k).append("\": \"scene ").append(k).append('"').append(k > 0 ? ", " : "");
        }
        Path f = dir.resolve("e.jsonl");
        Files.writeString(f, line.append("}\n").toString());
        List<String> scenes = EpsFile.read(f).get(0).scenes();
        assertEquals("scene 9", scenes.get(9));
        assertEquals("scene 10", scenes.get(10));
        assertEquals(12, scenes.size());
    }

    @Test
    void malformedLinesNameTheLineAndTheProblem(@TempDir Path dir) throws Exception {
        String good = "{\"0\": \"A cat jumps on the beach\", \"1\": \"A cat spins in space\"}";
        String[][] cases = {
            {"{not json", "not valid JSON"}, {"[1, 2]", "expected a JSON object"}, {"{\"a\": \"x\"}", "not a scene number"},
            {"{\"0\": \"x\", \"2\": \"y\"}", "missing \"1\""}, {"{\"0\": \"\"}", "non-empty string"},
            {"{\"0\": \"x\", \"1\": \"y\", \"1\": \"z\"}", "appears twice"},
            {"{\"0\": \"x\", \"01\": \"y\"}", "not written plainly"},
            {"{\"0\": \"x\", \"_identity\": 12.5}", "_identity must be an integer"},
            {"{\"0\": \"x\", \"_identity\": 1389, \"_split\": \"val\"}", "belongs to the test split"}};
        for (String[] c : cases) {
            Path f = dir.resolve("bad.jsonl");
            Files.writeString(f, good + "\n" + good + "\n" + c[0] + "\n" + good + "\n");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EpsFile.read(f));
            assertTrue(e.getMessage().contains("bad.jsonl:3") && e.getMessage().contains(c[1]), e.getMessage());
        }
    }

    @Test
    void writeReadRoundTripMatchesTheGoldenFile(@TempDir Path dir) throws Exception {
        List<Eps> sets = EpsGenerator.generate(Split.VAL, 3, 4, 7);
        Path f = dir.resolve("out/eps.jsonl");
        EpsFile.write(f, sets);
        assertEquals(sets, EpsFile.read(f).stream().map(e -> new Eps(e.index() == -1 ? -1 : sets.get(e.index()).index(),
                e.scenes(), e.identity(), e.split())).toList());
        String golden = new String(getClass().getResourceAsStream("/eps-golden.jsonl").readAllBytes());
        assertEquals(golden, Files.readString(f));
    }

    @Test
    void splitsAreDisjointAndTestHoldsUnseenPairs() {
        Set<Integer> ids = new HashSet<>();
        for (Split s : Split.values()) {
            for (Eps e : EpsGenerator.generate(s, 30, 6, 0)) {
                assertEquals(s, new Identity(e.identity()).split());
                ids.add(e.identity());
                boolean heldOut = e.parsed().stream().anyMatch(p -> Split.heldOutPair(p.action(), p.background()));
                assertEquals(s == Split.TEST, heldOut, s + " set " + e.index());
            }
        }
        assertTrue(ids.size() > 60);
    }

    @Test
    void freeTextLoadsAndFailsOnlyWhenRendered(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("human.jsonl");
        Files.writeString(f, "{\"0\": \"A nurse drinking water in the hotel room, face the camera\", \"1\": \"A nurse wipe away tears on the bike lane\"}\n");
        Eps e = EpsFile.read(f).get(0);
        assertEquals(2, e.size());
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e::parsed);
        assertTrue(ex.getMessage().contains("scene 0"), ex.getMessage());
    }
}
