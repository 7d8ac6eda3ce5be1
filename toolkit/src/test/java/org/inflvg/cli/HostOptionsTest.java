package org.inflvg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.inflvg.HostConfig;
import org.inflvg.InfLVG;
import org.inflvg.TestModels;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostOptionsTest {

    static final String[][] COMMANDS = {{"generate", "--prompt", "A robot jumps on the beach"}, {"demo"}, {"grpo"},
        {"bench", "csv"}, {"bench", "selectors"}, {"bench", "base"}, {"bench", "speed"}, {"bench", "budget"},
        {"replay", "--prompt", "A robot jumps on the beach | A robot spins in space"}, {"train", "policy"}};

    static String[] with(String[] cmd, String... more) {
        String[] all = java.util.Arrays.copyOf(cmd, cmd.length + more.length);
        System.arraycopy(more, 0, all, cmd.length, more.length);
        return all;
    }

    @Test
    void aBadHostFileExits2OnEveryCommandAndNamesTheKey(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"device\": \"cpu\", \"modle\": \"data/tinydit\"}");
        for (String[] cmd : COMMANDS) {
            MainTest.Run r = MainTest.run(with(cmd, "--config", bad.toString()));
            assertEquals(2, r.code(), String.join(" ", cmd) + ": " + r.err());
            assertTrue(r.err().contains("--config") && r.err().contains("unknown key 'modle'")
                    && r.err().contains("allowed keys"), String.join(" ", cmd) + ": " + r.err());
        }
        MainTest.Run missing = MainTest.run("generate", "--prompt", "A robot jumps on the beach", "--config",
                dir.resolve("none.json").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("does not exist") && missing.err().contains("data/hosts/"), missing.err());
        MainTest.Run both = MainTest.run("generate", "--prompt", "A robot jumps on the beach", "--model", "data/tinydit",
                "--config", InfLVG.home().resolve(HostConfig.CPU_FILE).toString());
        assertEquals(2, both.code());
        assertTrue(both.err().contains("not both"), both.err());
    }

    @Test
    void theGpuHostFileWithoutAGpuExits2AndNamesTheCpuFile(@TempDir Path dir) {
        Assumptions.assumeTrue(Engine.getInstance().getGpuCount() == 0, "a GPU is present");
        String gpu = InfLVG.home().resolve("data/hosts/gpu-large.json").toString();
        for (String[] cmd : new String[][] {COMMANDS[0], COMMANDS[5]}) {
            MainTest.Run r = MainTest.run(with(cmd, "--config", gpu, "--out", dir.resolve("o").toString()));
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("DJL sees no GPU") && r.err().contains("--config data/hosts/cpu-tiny.json"),
                    r.err());
        }
    }

    @Test
    void generateUnderAHostRecordsItAndTheFramesSha256IsTheSameForTheSameSeed(@TempDir Path dir) throws Exception {
        TestModels.saveRandom(dir.resolve("model"));
        assertEquals(0, MainTest.run("eps", "--sets", "2", "--scenes", "2", "--split", "test", "--out",
                dir.resolve("e.jsonl").toString()).code());
        Path host = dir.resolve("host.json");
        HostConfig.CPU_TINY.withModel(dir.resolve("model").toString(), null)
                .withPrompts(dir.resolve("e.jsonl").toString()).write(host);
        String[] sha = new String[3];
        for (int i = 0; i < 3; i++) {
            Path out = dir.resolve("gen" + i);
            MainTest.Run r = MainTest.run("generate", "--config", host.toString(), "--set", "1", "--selector", "full",
                    "--seed", i < 2 ? "5" : "6", "--scale", "1", "--out", out.toString());
            assertEquals(0, r.code(), r.err());
            JsonNode rec = new ObjectMapper().readTree(out.resolve("story.json").toFile());
            sha[i] = rec.get("framesSha256").asText();
            assertTrue(sha[i].matches("[0-9a-f]{64}"), sha[i]);
            assertEquals("cpu", rec.get("host").get("device").asText());
            assertEquals(dir.resolve("model").toString(), rec.get("host").get("model").asText());
            assertEquals("cpu()", rec.get("device").asText());
        }
        assertEquals(sha[0], sha[1], "the same seed gives the same frames");
        assertNotEquals(sha[0], sha[2], "another seed gives other frames");
        // the host's model is the one a record is checked against
        MainTest.Run rep = MainTest.run("replay", "--config", host.toString(), "--record",
                dir.resolve("gen0/story.json").toString(), "--transition", "1", "--selectors", "none", "--judge", "colour",
                "--scale", "1", "--out", dir.resolve("rep").toString());
        assertEquals(0, rep.code(), rep.err());
        JsonNode r = new ObjectMapper().readTree(dir.resolve("rep/replay.json").toFile());
        assertTrue(r.get("alternatives").get(0).get("sameAsStory").asBoolean());
    }

    /** The check: ./inflvg generate --config data/hosts/external-torchscript.json records the same frames. */
    @Test
    void theTorchScriptHostGeneratesTheSameFramesAsTheEmbeddedModel(@TempDir Path dir) throws Exception {
        JsonNode[] rec = new JsonNode[2];
        for (int i = 0; i < 2; i++) {
            Path out = dir.resolve("gen" + i);
            String[] args = {"generate", "--prompt", "A robot jumps on the beach | A robot walks left in the forest",
                "--seed", "4", "--selector", "full", "--scale", "1", "--out", out.toString()};
            MainTest.Run r = MainTest.run(i == 0 ? args : with(args, "--config",
                    InfLVG.home().resolve("data/hosts/external-torchscript.json").toString()));
            assertEquals(0, r.code(), r.err());
            rec[i] = new ObjectMapper().readTree(out.resolve("story.json").toFile());
        }
        assertEquals("torchscript", rec[1].get("host").get("modelKind").asText());
        assertEquals(org.inflvg.model.Weights.sha256(InfLVG.home().resolve("data/external/tinydit-ts.pt")),
                rec[1].get("modelSha256").asText());
        assertNotEquals(rec[0].get("modelSha256").asText(), rec[1].get("modelSha256").asText());
        assertEquals(rec[0].get("framesSha256").asText(), rec[1].get("framesSha256").asText(),
                "the TorchScript export gives other frames than the embedded model");
    }
}
