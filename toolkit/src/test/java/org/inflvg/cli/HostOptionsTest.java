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

    /**
     * A host whose dtype its model cannot run exits 2 on every command, before any model loads: bfloat16 on the native
     * TinyDiT (pointing to the bfloat16 export) and a float32 TorchScript file under a bfloat16 host (naming the file and
     * the export command).
     */
    @Test
    void aDtypeTheModelCannotRunExits2OnEveryCommand(@TempDir Path dir) {
        Path nativeBf16 = dir.resolve("native-bf16.json"), mismatch = dir.resolve("mismatch.json");
        HostConfig.CPU_TINY.withDtype("bfloat16").write(nativeBf16);
        HostConfig.CPU_TINY.withTorchScript("data/external/tinydit-ts.pt").withDtype("bfloat16").write(mismatch);
        for (String[] cmd : COMMANDS) {
            MainTest.Run a = MainTest.run(with(cmd, "--config", nativeBf16.toString()));
            assertEquals(2, a.code(), String.join(" ", cmd) + ": " + a.err());
            assertTrue(a.err().contains("cannot run the native TinyDiT") && a.err().contains("tinydit-ts-bf16.pt"),
                    String.join(" ", cmd) + ": " + a.err());
            MainTest.Run b = MainTest.run(with(cmd, "--config", mismatch.toString()));
            assertEquals(2, b.code(), String.join(" ", cmd) + ": " + b.err());
            assertTrue(b.err().contains("tinydit-ts.pt computes in float32") && b.err().contains("asks for bfloat16")
                    && b.err().contains("--dtype bfloat16"), String.join(" ", cmd) + ": " + b.err());
        }
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

    /** Every command that runs a model, the training commands included. */
    static final String[][] DEVICE_COMMANDS;

    static {
        DEVICE_COMMANDS = java.util.Arrays.copyOf(COMMANDS, COMMANDS.length + 2);
        DEVICE_COMMANDS[COMMANDS.length] = new String[] {"train", "base"};
        DEVICE_COMMANDS[COMMANDS.length + 1] = new String[] {"train", "rewards"};
    }

    /** The command with more arguments and an --out in {@code dir} when it has one (bench speed has none). */
    static String[] withOut(String[] cmd, Path dir, String... more) {
        String[] all = with(cmd, more);
        return String.join(" ", cmd).equals("bench speed") ? all : with(all, "--out", dir.resolve("o").toString());
    }

    /** A run with what the command printed to System.out (commands print there, not to picocli's writer). */
    record Printed(int code, String out, String err) {
    }

    static Printed runPrinted(String... args) {
        java.io.PrintStream old = System.out;
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(bytes, true));
        try {
            MainTest.Run r = MainTest.run(args);
            return new Printed(r.code(), bytes.toString(), r.err());
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void aBadDeviceExits2OnEveryCommandNamingTheFlagAndItsForms(@TempDir Path dir) {
        for (String[] cmd : DEVICE_COMMANDS) {
            for (String bad : new String[] {"tpu", "gpu:-1", "gpu:x", "cuda:0"}) {
                Printed r = runPrinted(withOut(cmd, dir, "--device", bad));
                assertEquals(2, r.code(), String.join(" ", cmd) + " --device " + bad + ": " + r.err());
                assertTrue(r.err().contains("--device must be cpu, gpu (GPU 0) or gpu:N") && r.err().contains("'" + bad + "'"),
                        String.join(" ", cmd) + ": " + r.err());
                assertEquals("", r.out(), String.join(" ", cmd) + " printed before the check");
            }
        }
    }

    @Test
    void aGpuDeviceWithoutAGpuExits2BeforeAnyOutputAndNamesTheCpuFile(@TempDir Path dir) {
        Assumptions.assumeTrue(Engine.getInstance().getGpuCount() == 0, "a GPU is present");
        for (String[] cmd : DEVICE_COMMANDS) {
            for (String gpu : new String[] {"gpu", "gpu:1"}) {
                Printed r = runPrinted(withOut(cmd, dir, "--device", gpu));
                assertEquals(2, r.code(), String.join(" ", cmd) + ": " + r.err());
                assertTrue(r.err().contains("--device " + gpu) && r.err().contains("DJL sees no GPU")
                        && r.err().contains("data/hosts/cpu-tiny.json") && r.err().contains("--device cpu"), r.err());
                assertEquals("", r.out(), String.join(" ", cmd) + " printed before the check");
            }
        }
        // one shard per device: the shard is parsed, the device checked, nothing runs
        Printed shard = runPrinted("bench", "csv", "--device", "gpu:1", "--shard", "1/2", "--out",
                dir.resolve("s1").toString());
        assertEquals(2, shard.code());
        assertTrue(shard.err().contains("DJL sees no GPU"), shard.err());
        assertTrue(!Files.exists(dir.resolve("s1")), "no output folder before the device is checked");
        Printed badShard = runPrinted("bench", "csv", "--device", "cpu", "--shard", "2/2");
        assertEquals(2, badShard.code());
        assertTrue(badShard.err().contains("--shard must be i/n"), badShard.err());
    }

    /** The flag overrides the host file: a GPU host file runs on the CPU with --device cpu, and the record says so. */
    @Test
    void deviceOverridesTheHostFilesDevice(@TempDir Path dir) throws Exception {
        TestModels.saveRandom(dir.resolve("model"));
        Path host = dir.resolve("gpu-host.json");
        HostConfig.CPU_TINY.withModel(dir.resolve("model").toString(), null).withDevice("gpu:3").write(host);
        if (Engine.getInstance().getGpuCount() < 4) {
            Printed noGpu = runPrinted("generate", "--config", host.toString(), "--prompt", "A robot jumps on the beach",
                    "--out", dir.resolve("x").toString());
            assertEquals(2, noGpu.code());
            assertTrue(noGpu.err().contains("--config") && noGpu.err().contains("device gpu:3"), noGpu.err());
        }
        Path out = dir.resolve("gen");
        MainTest.Run r = MainTest.run("generate", "--config", host.toString(), "--device", "cpu", "--prompt",
                "A robot jumps on the beach", "--selector", "full", "--scale", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode rec = new ObjectMapper().readTree(out.resolve("story.json").toFile());
        assertEquals("cpu", rec.get("host").get("device").asText());
        assertEquals("cpu()", rec.get("device").asText());
        assertEquals(dir.resolve("model").toString(), rec.get("host").get("model").asText());
        // --model with --device: the model folder's host on that device
        MainTest.Run m = MainTest.run("generate", "--model", dir.resolve("model").toString(), "--device", "cpu",
                "--prompt", "A robot jumps on the beach", "--selector", "full", "--scale", "1", "--out",
                dir.resolve("gen2").toString());
        assertEquals(0, m.code(), m.err());
        JsonNode rec2 = new ObjectMapper().readTree(dir.resolve("gen2/story.json").toFile());
        assertEquals(rec.get("framesSha256").asText(), rec2.get("framesSha256").asText());
    }

    /** train base and train rewards take --config: the host's size, model folder and batch; a size clash exits 2. */
    @Test
    void trainBaseTakesTheHostFile(@TempDir Path dir) throws Exception {
        Path host = dir.resolve("host.json");
        HostConfig.CPU_TINY.withModel(dir.resolve("large-model").toString(), "large").write(host);
        Printed clash = runPrinted("train", "base", "--config", host.toString(), "--size", "tiny", "--steps", "1");
        assertEquals(2, clash.code());
        assertTrue(clash.err().contains("--size tiny") && clash.err().contains("names size large"), clash.err());
        assertEquals("", clash.out());
        Path micro = dir.resolve("micro.json");
        HostConfig.CPU_TINY.withModel(dir.resolve("micro-model").toString(), null)
                .withBatch(new HostConfig.Batch(8, 1)).write(micro);
        Printed ok = runPrinted("train", "base", "--config", micro.toString(), "--size", "micro", "--steps", "1",
                "--device", "cpu");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().contains("on cpu()") && ok.out().contains("micro-model"), ok.out());
        JsonNode state = new ObjectMapper().readTree(dir.resolve("micro-model/checkpoint/state.json").toFile());
        assertEquals(1, state.get("settings").get("batch").asInt(), "the host's batch.train is the default batch");
        assertEquals(1, state.get("step").asInt());
    }
}
