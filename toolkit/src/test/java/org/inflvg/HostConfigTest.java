package org.inflvg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.inflvg.model.ModelConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostConfigTest {

    static Path hosts() {
        return InfLVG.home().resolve("data/hosts");
    }

    @Test
    void everyShippedHostFileParsesAndCpuTinyIsTheEmbeddedDefault() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.list(hosts())) {
            files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertTrue(files.size() >= 2, files.toString());
        for (Path f : files) {
            HostConfig h = HostConfig.read(f);
            assertEquals(h, HostConfig.read(f).withBatch(h.batch()), f.toString()); // reads the same twice
        }
        assertEquals(HostConfig.CPU_TINY, HostConfig.read(hosts().resolve("cpu-tiny.json")));
        assertEquals(Files.readString(hosts().resolve("cpu-tiny.json")).trim(), HostConfig.CPU_TINY.toJson().trim(),
                "cpu-tiny.json is the embedded default written out");
        HostConfig large = HostConfig.read(hosts().resolve("gpu-large.json"));
        assertEquals(ModelConfig.LARGE, large.namedConfig());
        assertTrue(large.gpu() && large.dtype().equals("float32"), "the native TinyDiT cannot run bfloat16: "
                + "InfLVG.checkDtype");
        HostConfig ext = HostConfig.read(hosts().resolve("external-torchscript.json"));
        assertEquals(HostConfig.CPU_TINY.withTorchScript("data/external/tinydit-ts.pt")
                .withDescription(ext.description()), ext);
        assertTrue(ext.torchScript() && !HostConfig.CPU_TINY.torchScript());
        assertEquals(InfLVG.home().resolve("data/external/tinydit-ts.pt"), ext.modelDir());
        HostConfig bf16 = HostConfig.read(hosts().resolve("external-torchscript-bf16.json"));
        assertEquals(ext.withTorchScript("data/external/tinydit-ts-bf16.pt").withDtype("bfloat16")
                .withDescription(bf16.description()), bf16);
        InfLVG.checkDtype(bf16); // the file's recorded dtype is the host's
    }

    @Test
    void cpuTinyLoadsOnTheCpuAndGenerates() {
        try (InfLVG lvg = InfLVG.load(hosts().resolve("cpu-tiny.json"))) {
            assertEquals(Device.cpu(), lvg.device());
            assertEquals(HostConfig.CPU_TINY, lvg.host());
            assertEquals(ModelConfig.TINY, lvg.model().config());
            assertEquals(InfLVG.home().resolve("data/tinydit"), lvg.modelDir());
            try (Story st = lvg.story("A robot jumps on the beach").seed(1)) {
                Scene s = st.next();
                assertEquals(ModelConfig.TINY.sceneFrames(), s.video().frameCount());
            }
        }
    }

    @Test
    void aGpuAskedForWithoutOneSaysSoAndNamesTheCpuFile() {
        Assumptions.assumeTrue(Engine.getInstance().getGpuCount() == 0, "a GPU is present");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InfLVG.load(hosts().resolve("gpu-large.json")));
        assertTrue(e.getMessage().contains("device gpu was asked for but DJL sees no GPU")
                && e.getMessage().contains("data/hosts/cpu-tiny.json"), e.getMessage());
        IllegalArgumentException n = assertThrows(IllegalArgumentException.class,
                () -> HostConfig.CPU_TINY.withDevice("gpu:3").djlDevice());
        assertTrue(n.getMessage().contains("device gpu:3") && n.getMessage().contains("cpu-tiny.json"), n.getMessage());
    }

    @Test
    void unknownKeysAndImpossibleValuesNameTheKeyAndTheFix(@TempDir Path dir) throws Exception {
        assertBad(dir, "{\"devise\": \"cpu\"}", "unknown key 'devise'", "allowed keys: description, device");
        assertBad(dir, "{\"batch\": {\"groups\": 8}}", "unknown key 'groups' in batch", "allowed keys: group, train");
        assertBad(dir, "{\"device\": \"tpu\"}", "device must be cpu, gpu or gpu:N", "'tpu'");
        assertBad(dir, "{\"device\": \"gpu:-1\"}", "device must be cpu, gpu or gpu:N", "\"device\": \"cpu\"");
        assertBad(dir, "{\"dtype\": \"float16\"}", "dtype must be float32 or bfloat16", "'float16'");
        assertBad(dir, "{\"batch\": {\"group\": 1}}", "batch.group must be in [2, 64]", "got 1");
        assertBad(dir, "{\"batch\": {\"train\": 0}}", "batch.train must be in [1, 256]", "got 0");
        assertBad(dir, "{\"batch\": {\"group\": \"eight\"}}", "key 'batch.group' has a value of the wrong type",
                "cpu-tiny.json");
        assertBad(dir, "{\"size\": \"huge\"}", "size must be tiny or large", "'huge'");
        assertBad(dir, "{\"model\": \"\"}", "model must be a folder path", "data/model");
        assertBad(dir, "{\"modelKind\": \"onnx\"}", "modelKind must be tinydit (a model folder) or torchscript",
                "'onnx'");
        assertBad(dir, "{\"modelKind\": \"torchscript\"}", "modelKind torchscript needs \"model\" to name a .pt file",
                "data/external/tinydit-ts.pt");
        assertBad(dir, "{\"model\": \"data/external/tinydit-ts.pt\"}", "is a TorchScript file",
                "\"modelKind\": \"torchscript\"");
        assertBad(dir, "{\"device\": \"cpu\",}", "is not valid JSON", "line 1");
        assertBad(dir, "{\"device\": \"cpu\"} {}", "not one JSON object of host keys", "Trailing token");
        assertBad(dir, "[]", "not one JSON object of host keys", "cpu-tiny.json");
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> HostConfig.read(dir.resolve("none.json")));
        assertTrue(missing.getMessage().contains("does not exist") && missing.getMessage().contains("data/hosts/"));
        // missing keys take the defaults
        Path partial = dir.resolve("partial.json");
        Files.writeString(partial, "{\"batch\": {\"group\": 4}}");
        HostConfig p = HostConfig.read(partial);
        assertEquals(HostConfig.CPU_TINY.withBatch(new HostConfig.Batch(4, 8)),
                new HostConfig(HostConfig.CPU_TINY.description(), p.device(), p.dtype(), p.model(), p.modelKind(),
                        p.size(), p.rewards(), p.policy(), p.prompts(), p.batch(), p.sampling()));
    }

    private static void assertBad(Path dir, String json, String... parts) throws Exception {
        Path f = dir.resolve("host.json");
        Files.writeString(f, json);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostConfig.read(f), json);
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), json + " -> " + e.getMessage());
        }
    }

    @Test
    void aHostLoadsItsModelFolderAndAMissingOneNamesTheTrainingCommand(@TempDir Path dir) {
        TestModels.saveRandom(dir.resolve("model"));
        HostConfig h = HostConfig.CPU_TINY.withModel(dir.resolve("model").toString(), null)
                .withRewardsAndPolicy(dir.resolve("rewards").toString(), dir.resolve("policy").toString());
        try (InfLVG lvg = InfLVG.load(h)) {
            assertEquals(TestModels.SMALL, lvg.model().config());
            assertEquals(Device.cpu(), lvg.device());
            assertEquals(dir.resolve("rewards").toString(), lvg.host().rewardsDir().toString());
        }
        IllegalArgumentException wrongSize = assertThrows(IllegalArgumentException.class,
                () -> InfLVG.load(h.withModel(dir.resolve("model").toString(), "large")));
        assertTrue(wrongSize.getMessage().contains("not the large configuration"), wrongSize.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> InfLVG.load(h.withModel("data/tinydit-none", "large")));
        assertTrue(none.getMessage().contains("./inflvg train base --size large --out data/tinydit-none")
                && none.getMessage().contains("does not exist"), none.getMessage());
        IllegalArgumentException noExport = assertThrows(IllegalArgumentException.class,
                () -> InfLVG.load(h.withTorchScript(dir.resolve("none.pt").toString())));
        assertTrue(noExport.getMessage().contains("none.json")
                && noExport.getMessage().contains("tools/export_tinydit.py"), noExport.getMessage());
        // a model folder, as before: reward and policy folders beside it
        try (InfLVG lvg = InfLVG.load(dir.resolve("model"))) {
            assertEquals(dir.resolve("policy").toAbsolutePath(), lvg.host().policyDir());
            assertEquals(Device.cpu(), lvg.device());
        }
    }

    /**
     * bfloat16 parses on any device but never runs on the native TinyDiT: DJL 0.36's PyTorch JNI has no bfloat16 and
     * asking for one aborts the JVM, so the refusal comes before any array exists, with the reason and the two fixes
     * (float32, or the TorchScript export that computes in bfloat16). A bfloat16 TorchScript host passes, on the CPU
     * too.
     */
    @Test
    void bfloat16IsRefusedForTheNativeModelWithTheReasonBeforeAnyArrayIsMade() {
        for (String device : new String[] {"cpu", "gpu"}) {
            HostConfig bf16 = HostConfig.CPU_TINY.withDevice(device).withDtype("bfloat16");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InfLVG.checkDtype(bf16));
            assertTrue(e.getMessage().contains("no bfloat16 type") && e.getMessage().contains("aborts the JVM")
                    && e.getMessage().contains("\"dtype\": \"float32\"")
                    && e.getMessage().contains("data/external/tinydit-ts-bf16.pt")
                    && e.getMessage().contains("--dtype bfloat16"), e.getMessage());
            if (device.equals("cpu")) { // (on a GPU host the missing GPU is said first)
                assertEquals(e.getMessage(), assertThrows(IllegalArgumentException.class, () -> InfLVG.load(bf16))
                        .getMessage(), "refused at load with the same message");
            }
        }
        InfLVG.checkDtype(HostConfig.CPU_TINY.withDevice("gpu")); // float32 passes
        InfLVG.checkDtype(HostConfig.CPU_TINY.withTorchScript("data/external/tinydit-ts-bf16.pt").withDtype("bfloat16"));
    }
}
