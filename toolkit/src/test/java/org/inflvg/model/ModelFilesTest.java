package org.inflvg.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFilesTest {

    @Test
    void saveLoadRoundTripAndClearErrors(@TempDir Path dir) throws Exception {
        ModelConfig cfg = TeacherForcingEquivalenceTest.SMALL;
        try (NDManager m = NDManager.newBaseManager()) {
            TinyDiT a = TinyDiT.create(cfg, m, 1);
            TeacherForcingEquivalenceTest.randomise(a, 2);
            ModelFiles.save(a, a.weights(), dir, Map.of("test", true));
            TinyDiT b = ModelFiles.load(dir, m);
            assertArrayEquals(a.weights().get("block.1.qkv.w").toFloatArray(), b.weights().get("block.1.qkv.w").toFloatArray());

            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                    () -> ModelFiles.load(dir.resolve("nope"), m));
            assertTrue(missing.getMessage().contains("config.json") && missing.getMessage().contains("train base"));

            Path bin = dir.resolve("model.bin");
            byte[] bytes = Files.readAllBytes(bin);
            Files.write(bin, java.util.Arrays.copyOf(bytes, bytes.length / 2));
            IllegalArgumentException trunc = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(dir, m));
            assertTrue(trunc.getMessage().contains("model.bin") && trunc.getMessage().contains("checksum"), trunc.getMessage());

            // weights of another configuration: checksum fine, shapes wrong
            Path other = dir.resolve("other");
            TinyDiT c = TinyDiT.create(cfg.withWidth(64, 2, 2), m, 1);
            ModelFiles.save(c, c.weights(), other, Map.of());
            Files.copy(other.resolve("model.bin"), bin, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            String cfgText = Files.readString(dir.resolve("config.json"))
                    .replaceAll("\"sha256\" : \"[0-9a-f]+\"", "\"sha256\" : \"" + Weights.sha256(bin) + "\"");
            Files.writeString(dir.resolve("config.json"), cfgText);
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> ModelFiles.load(dir, m));
            assertTrue(shape.getMessage().contains("shape"), shape.getMessage());
        }
    }
}
