package org.inflvg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.inflvg.world.EpsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    record Run(int code, String err) {
    }

    static Run run(String... args) {
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int code = cl.execute(args);
        return new Run(code, err.toString());
    }

    @Test
    void exitCodesAndMessages(@TempDir Path dir) throws Exception {
        assertEquals(0, run("--help").code());
        Run unknown = run("bogus");
        assertEquals(2, unknown.code());
        Run badPrompt = run("render", "--prompt", "A dragon jumps on the beach", "--out", dir.resolve("x.gif").toString());
        assertEquals(2, badPrompt.code());
        assertTrue(badPrompt.err().contains("dragon") && badPrompt.err().contains("snowman"), badPrompt.err());
        Run badExt = run("render", "--prompt", "A robot jumps on the beach", "--out", dir.resolve("x.avi").toString());
        assertEquals(2, badExt.code());
        assertTrue(badExt.err().contains(".mp4, .gif or .png"), badExt.err());
        assertEquals(2, run("render", "--prompt", "A robot jumps on the beach", "--identity", "99999", "--out",
                dir.resolve("y.gif").toString()).code());
        assertEquals(2, run("eps", "--sets", "3", "--scenes", "12", "--out", dir.resolve("e.jsonl").toString()).code());
        assertEquals(2, run("eps", "--split", "tset", "--out", dir.resolve("e.jsonl").toString()).code());
        assertEquals(2, run("generate", "--prompt", "A cat jumps on the beach", "--selector", "best").code());
        assertEquals(2, run("render", "--prompt").code(), "a missing value is bad usage");
        Run badSets = run("grpo", "--sets", "0");
        assertEquals(2, badSets.code());
        assertTrue(badSets.err().contains("--sets"), badSets.err());
        assertEquals(2, run("bench", "selectors", "--split", "dev").code());
        assertEquals(2, run("bench", "selectors", "--seeds", "0,x").code());
        assertEquals(2, run("train", "rewards", "--eval-clips", "3").code());
        Run badScene = run("generate", "--prompt", "A cat jumps on the beach | A cat jumps on the moon");
        assertEquals(2, badScene.code());
        assertTrue(badScene.err().contains("scene 1") && badScene.err().contains("in space"), badScene.err());
    }

    @Test
    void renderAndEpsWriteFiles(@TempDir Path dir) throws Exception {
        assertEquals(0, run("render", "--prompt", "A robot jumps on the beach", "--identity", "17", "--out",
                dir.resolve("r.gif").toString()).code());
        assertTrue(Files.size(dir.resolve("r.gif")) > 1000);
        assertEquals(0, run("eps", "--sets", "4", "--scenes", "6", "--split", "val", "--out",
                dir.resolve("e.jsonl").toString()).code());
        assertEquals(4, EpsFile.read(dir.resolve("e.jsonl")).size());
    }
}
