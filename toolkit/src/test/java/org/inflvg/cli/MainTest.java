package org.inflvg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        Run family = run("bench", "budget", "--selector", "window");
        assertEquals(2, family.code());
        assertTrue(family.err().contains("policy, random, attention, text"), family.err());
        assertEquals(2, run("bench", "budget", "--budgets", "32,0").code());
        assertEquals(2, run("bench", "budget", "--budgets", "32,lots").code());
        assertEquals(2, run("grpo", "--budget", "0").code());
        assertEquals(2, run("train", "samples", "--out", dir.resolve("s.txt").toString()).code());
        Run badValidate = run("train", "policy", "--validate-every", "-1");
        assertEquals(2, badValidate.code());
        assertTrue(badValidate.err().contains("--validate-every") && badValidate.err().contains("0: off"),
                badValidate.err());
        assertEquals(2, run("train", "policy", "--validate-k", "0").code());
        for (String scale : new String[] {"0", "-2", "2000"}) {
            Run badScale = run("train", "policy", "--logit-scale", scale);
            assertEquals(2, badScale.code(), scale);
            assertTrue(badScale.err().contains("--logit-scale must be in (0, 1000]") && badScale.err().contains("e.g."),
                    badScale.err());
        }
        Run badGrpoScale = run("grpo", "--logit-scale", "0");
        assertEquals(2, badGrpoScale.code());
        assertTrue(badGrpoScale.err().contains("--logit-scale must be in (0, 1000]"), badGrpoScale.err());
        Run badFloor = run("train", "policy", "--lr-floor", "1.5");
        assertEquals(2, badFloor.code());
        assertTrue(badFloor.err().contains("--lr-floor must be in (0, 1]"), badFloor.err());
        Run badHistory = run("train", "policy", "--history", "0");
        assertEquals(2, badHistory.code());
        assertTrue(badHistory.err().contains("--history"), badHistory.err());
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

    @Test
    void benchCsvBadInputNamesTheOptionAndTheFix(@TempDir Path dir) {
        String out = dir.resolve("r").toString();
        Run sel = run("bench", "csv", "--selectors", "full,best", "--out", out);
        assertEquals(2, sel.code());
        assertTrue(sel.err().contains("--selectors") && sel.err().contains("best") && sel.err().contains("window:N"),
                sel.err());
        Run badNumber = run("bench", "csv", "--selectors", "window:x", "--out", out);
        assertEquals(2, badNumber.code());
        assertTrue(badNumber.err().contains("--selectors"), badNumber.err());
        Run shard = run("bench", "csv", "--shard", "2/2", "--out", out);
        assertEquals(2, shard.code());
        assertTrue(shard.err().contains("--shard") && shard.err().contains("0 <= i < n"), shard.err());
        assertEquals(2, run("bench", "csv", "--shard", "one", "--out", out).code());
        Run sets = run("bench", "csv", "--sets", "0", "--out", out);
        assertEquals(2, sets.code());
        assertTrue(sets.err().contains("--sets"), sets.err());
        for (String n : new String[] {"1", "10"}) {
            Run scenes = run("bench", "csv", "--scenes", n, "--out", out);
            assertEquals(2, scenes.code());
            assertTrue(scenes.err().contains("--scenes must be in [2, 9]"), scenes.err());
        }
        Run missing = run("bench", "csv", "--prompts", dir.resolve("nope.jsonl").toString(), "--out", out);
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("--prompts") && missing.err().contains("inflvg eps"), missing.err());
        Run seeds = run("bench", "csv", "--seeds", "0,x", "--out", out);
        assertEquals(2, seeds.code());
        assertTrue(seeds.err().contains("--seeds"), seeds.err());
        Run judge = run("bench", "csv", "--judge", "best", "--out", out);
        assertEquals(2, judge.code());
        assertTrue(judge.err().contains("--judge must be auto, colour, rewards or rewards@DIR"), judge.err());
        Run noRewards = run("bench", "csv", "--judge", "rewards@" + dir.resolve("none"), "--out", out);
        assertEquals(2, noRewards.code());
        assertTrue(noRewards.err().contains("train rewards"), noRewards.err());
        Run merge = run("bench", "merge", dir.toString(), "--out", out);
        assertEquals(2, merge.code());
        assertTrue(merge.err().contains("run.json"), merge.err());
        assertEquals(2, run("bench", "merge", "--out", out).code(), "merge needs folders");
    }

    @Test
    void benchCsvShardsAndMergeOnASmallModel(@TempDir Path dir) throws Exception {
        org.inflvg.TestModels.saveRandom(dir.resolve("model"));
        assertEquals(0, run("eps", "--sets", "2", "--scenes", "3", "--split", "test", "--out",
                dir.resolve("e.jsonl").toString()).code());
        for (int i = 0; i < 2; i++) {
            assertEquals(0, run("bench", "csv", "--model", dir.resolve("model").toString(), "--prompts",
                    dir.resolve("e.jsonl").toString(), "--sets", "2", "--scenes", "2", "--selectors", "full,none", "--seeds", "3", "--judge", "colour",
                    "--shard", i + "/2", "--out", dir.resolve("shard-" + i).toString()).code());
        }
        Run tooMany = run("bench", "csv", "--prompts", dir.resolve("e.jsonl").toString(), "--sets", "3");
        assertEquals(2, tooMany.code());
        assertTrue(tooMany.err().contains("--sets 2 or fewer"), tooMany.err());
        assertEquals(0, run("bench", "merge", dir.resolve("shard-0").toString(), dir.resolve("shard-1").toString(),
                "--out", dir.resolve("merged").toString()).code());
        String report = Files.readString(dir.resolve("merged/report.md"));
        assertTrue(report.contains("inflvg bench merge") && report.contains("| `none` | 2 |"), report);
        assertEquals(4 * 2 + 1, Files.readAllLines(dir.resolve("merged/results.csv")).size());
    }

    /**
     * --clip-grad reaches the run (its "run" row records it) and --centre-tokens the saved policy; bad clips are exit 2
     * on both GRPO commands.
     */
    @Test
    void clipGradAndCentringReachTheRunAndBadClipsAreRefused(@TempDir Path dir) throws Exception {
        org.inflvg.TestModels.saveRandom(dir.resolve("model"));
        Run r = run("train", "policy", "--model", dir.resolve("model").toString(), "--steps", "1", "--sets", "1",
                "--group", "2", "--budget", "16", "--validate-every", "0", "--clip-grad", "3", "--centre-tokens",
                "--out", dir.resolve("clip3").toString());
        assertEquals(0, r.code(), r.err());
        var row = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                Files.readAllLines(dir.resolve("clip3/grpo-log.jsonl")).get(0));
        assertEquals(3.0, row.get("config").get("clipGrad").asDouble(), row.toString());
        assertTrue(new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("clip3/policy.json").toFile())
                .get("config").get("centreTokens").asBoolean(), "--centre-tokens reaches the saved policy");
        for (String[] cmd : new String[][] {{"train", "policy"}, {"grpo"}}) {
            for (String bad : new String[] {"0", "-1", "1e7"}) {
                Run refused = run(java.util.stream.Stream.concat(java.util.Arrays.stream(cmd),
                        java.util.stream.Stream.of("--clip-grad", bad)).toArray(String[]::new));
                assertEquals(2, refused.code(), String.join(" ", cmd) + " --clip-grad " + bad);
                assertTrue(refused.err().contains("--clip-grad must be in (0, 1000000]"), refused.err());
            }
        }
    }

    /**
     * --init-seed changes the policy's start and nothing else: the first group's draws (an untrained policy is uniform)
     * equal those of the run with the same --seed, and the weights after the update differ.
     */
    @Test
    void initSeedChangesTheStartOnly(@TempDir Path dir) throws Exception {
        org.inflvg.TestModels.saveRandom(dir.resolve("model"));
        String[] common = {"train", "policy", "--model", dir.resolve("model").toString(), "--steps", "1", "--sets", "1",
            "--group", "2", "--budget", "16", "--validate-every", "0", "--seed", "0"};
        for (String[] extra : new String[][] {{"--out", dir.resolve("plain").toString()},
            {"--init-seed", "7", "--out", dir.resolve("init7").toString()}}) {
            String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(common), java.util.Arrays.stream(extra))
                    .toArray(String[]::new);
            Run r = run(args);
            assertEquals(0, r.code(), r.err());
        }
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.function.Function<String, String> chosen = name -> {
            try {
                return Files.readAllLines(dir.resolve(name).resolve("grpo-log.jsonl")).stream()
                        .map(l -> {
                            try {
                                return json.readTree(l);
                            } catch (java.io.IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        })
                        .filter(n -> n.path("kind").asText().equals("member")).map(n -> n.get("chosen").toString())
                        .collect(java.util.stream.Collectors.joining(";"));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        assertEquals(chosen.apply("plain"), chosen.apply("init7"), "same data and draws");
        assertNotEquals(org.inflvg.model.Weights.sha256(dir.resolve("plain/policy.bin")),
                org.inflvg.model.Weights.sha256(dir.resolve("init7/policy.bin")), "another start");
        // resuming the first run with another logit scale is refused, naming the flag
        String[] resume = java.util.stream.Stream.concat(java.util.Arrays.stream(common), java.util.stream.Stream.of(
                "--logit-scale", "10", "--out", dir.resolve("plain").toString())).toArray(String[]::new);
        resume[java.util.Arrays.asList(resume).indexOf("--steps") + 1] = "2";
        Run refused = run(resume);
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("cannot resume") && refused.err().contains("--logit-scale"), refused.err());
    }

    @Test
    void replayAndAuditBadInputNamesTheOptionAndTheFix(@TempDir Path dir) throws Exception {
        String two = "A robot jumps on the beach | A robot walks left in the forest";
        Run tr = run("replay", "--prompt", two, "--transition", "2");
        assertEquals(2, tr.code());
        assertTrue(tr.err().contains("--transition must be in [1, 1]") && tr.err().contains("e.g. --transition 1"),
                tr.err());
        Run sel = run("replay", "--prompt", two, "--selectors", "full,best");
        assertEquals(2, sel.code());
        assertTrue(sel.err().contains("--selectors") && sel.err().contains("best") && sel.err().contains("window:N"),
                sel.err());
        Run own = run("replay", "--prompt", two, "--selector", "window:x");
        assertEquals(2, own.code());
        assertTrue(own.err().contains("--selector:") && own.err().contains("bad number"), own.err());
        Run pol = run("replay", "--prompt", two, "--selectors", "policy:many");
        assertEquals(2, pol.code());
        assertTrue(pol.err().contains("--selectors") && pol.err().contains("policy:K"), pol.err());
        Run both = run("replay", "--prompt", two, "--prompts", "eps.jsonl");
        assertEquals(2, both.code());
        assertTrue(both.err().contains("exactly one of --prompts"), both.err());
        Run missing = run("replay", "--prompts", dir.resolve("nope.jsonl").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("--prompts") && missing.err().contains("inflvg eps"), missing.err());
        Run one = run("replay", "--prompt", "A robot jumps on the beach");
        assertEquals(2, one.code());
        assertTrue(one.err().contains("at least 2 scenes"), one.err());
        Run judge = run("replay", "--prompt", two, "--judge", "best");
        assertEquals(2, judge.code());
        assertTrue(judge.err().contains("--judge must be auto, colour, rewards or rewards@DIR"), judge.err());
        Run badScene = run("replay", "--prompt", "A cat jumps on the beach | A cat jumps on the moon");
        assertEquals(2, badScene.code());
        assertTrue(badScene.err().contains("scene 1"), badScene.err());
        Run noLog = run("audit", dir.toString());
        assertEquals(2, noLog.code());
        assertTrue(noLog.err().contains("RUN must be a GRPO run folder holding grpo-log.jsonl")
                && noLog.err().contains("--out DIR"), noLog.err());
        assertEquals(2, run("audit").code(), "audit needs a run folder");
    }

    @Test
    void replayWritesTheGridTheTableAndTheRecord(@TempDir Path dir) throws Exception {
        org.inflvg.TestModels.saveRandom(dir.resolve("model"));
        Path out = dir.resolve("out");
        Run r = run("replay", "--model", dir.resolve("model").toString(), "--prompt",
                "A robot jumps on the beach | A robot walks left in the forest | A robot spins in space",
                "--transition", "2", "--selectors", "window:2,none,full", "--judge", "colour", "--scale", "2",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        for (String f : new String[] {"replay.gif", "replay.mp4", "replay.png", "replay.txt", "replay.json"}) {
            assertTrue(Files.size(out.resolve(f)) > 100, f);
        }
        var rec = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve("replay.json").toFile());
        assertEquals("window:2", rec.get("storySelector").asText());
        assertEquals(3, rec.get("alternatives").size());
        assertTrue(rec.get("alternatives").get(0).get("sameAsStory").asBoolean(), "the story's selector reproduces it");
        assertEquals(0, rec.get("alternatives").get(1).get("kept").asInt());
        assertTrue(Files.readString(out.resolve("replay.txt")).contains("alignment"));
    }

    @Test
    void replayFromAGenerateRecordRegeneratesTheStoryExactly(@TempDir Path dir) throws Exception {
        org.inflvg.TestModels.saveRandom(dir.resolve("model"));
        String m = dir.resolve("model").toString();
        assertEquals(0, run("generate", "--model", m, "--prompt",
                "A robot jumps on the beach | A robot walks left in the forest | A robot spins in space",
                "--selector", "random:20", "--seed", "3", "--scale", "1", "--out", dir.resolve("gen").toString()).code());
        String story = dir.resolve("gen/story.json").toString();
        Path out = dir.resolve("rep");
        Run r = run("replay", "--model", m, "--record", story, "--transition", "1", "--selectors", "none,full",
                "--judge", "colour", "--scale", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        var rec = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve("replay.json").toFile());
        assertEquals("original", rec.get("alternatives").get(0).get("name").asText());
        assertTrue(rec.get("alternatives").get(0).get("sameAsStory").asBoolean());
        assertEquals(20, rec.get("alternatives").get(0).get("kept").asInt());
        assertEquals(3, rec.get("alternatives").size());
        Run both = run("replay", "--record", story, "--prompt", "A robot jumps on the beach | A robot spins in space");
        assertEquals(2, both.code());
        assertTrue(both.err().contains("exactly one of") && both.err().contains("--record"), both.err());
        Run missing = run("replay", "--record", dir.resolve("none.json").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("--record") && missing.err().contains("inflvg generate"), missing.err());
        Run notAModel = run("replay", "--record", story, "--model", dir.resolve("gen").toString());
        assertEquals(2, notAModel.code());
        assertTrue(notAModel.err().contains("--model") && notAModel.err().contains("no config.json"), notAModel.err());
        Run otherModel = run("replay", "--record", story); // the shipped model is not the one that wrote it
        assertEquals(2, otherModel.code());
        assertTrue(otherModel.err().contains("--record") && otherModel.err().contains("pass --model"), otherModel.err());
        Run tr = run("replay", "--model", m, "--record", story, "--transition", "3");
        assertEquals(2, tr.code());
        assertTrue(tr.err().contains("--transition must be in [1, 2]"), tr.err());
    }

    /**
     * train base --init-from: a folder that is no model, or the --out folder itself, is exit 2 and writes nothing; so is
     * a --high-noise-share outside [0, 1].
     */
    @Test
    void aContinuationFromABadFolderIsRefused(@TempDir Path dir) throws Exception {
        Run missing = run("train", "base", "--init-from", dir.resolve("nothing").toString(), "--steps", "1", "--out",
                dir.resolve("b").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("--init-from") && missing.err().contains("not a model folder")
                && missing.err().contains("data/tinydit"), missing.err());
        org.inflvg.TestModels.saveRandom(dir.resolve("model"));
        Run same = run("train", "base", "--init-from", dir.resolve("model").toString(), "--steps", "1", "--out",
                dir.resolve("model").toString());
        assertEquals(2, same.code());
        assertTrue(same.err().contains("is the --out folder") && same.err().contains("new --out"), same.err());
        assertFalse(java.nio.file.Files.exists(dir.resolve("b")), "nothing written");
        assertFalse(java.nio.file.Files.exists(dir.resolve("model/checkpoint")), "nothing written");
        Run share = run("train", "base", "--high-noise-share", "1.5", "--steps", "1", "--out", dir.resolve("b").toString());
        assertEquals(2, share.code());
        assertTrue(share.err().contains("--high-noise-share") && share.err().contains("[0, 1]"), share.err());
        assertFalse(java.nio.file.Files.exists(dir.resolve("b")), "nothing written");
    }

    /**
     * --guidance and --euler-steps: out of range is exit 2 naming the flag; a generate record carries them and a replay
     * of it samples as the record did (frames identical) without being told; training a base model refuses them.
     */
    @Test
    void samplingFlags(@TempDir Path dir) throws Exception {
        Run far = run("generate", "--prompt", "A cat jumps on the beach", "--guidance", "30");
        assertEquals(2, far.code());
        assertTrue(far.err().contains("--guidance 30") && far.err().contains("[0, 20]"), far.err());
        Run none = run("generate", "--prompt", "A cat jumps on the beach", "--euler-steps", "0");
        assertEquals(2, none.code());
        assertTrue(none.err().contains("--euler-steps 0") && none.err().contains("[1, 1000]"), none.err());
        Run base = run("train", "base", "--guidance", "2", "--steps", "1", "--out", dir.resolve("b").toString());
        assertEquals(2, base.code());
        assertTrue(base.err().contains("train base") && base.err().contains("generate"), base.err());
        assertFalse(java.nio.file.Files.exists(dir.resolve("b")), "nothing written");
        org.inflvg.TestModels.saveRandom(dir.resolve("model"));
        String m = dir.resolve("model").toString();
        String prompts = "A robot jumps on the beach | A robot walks left in the forest";
        assertEquals(0, run("generate", "--model", m, "--prompt", prompts, "--selector", "random:20", "--seed", "3",
                "--guidance", "2", "--euler-steps", "3", "--scale", "1", "--out", dir.resolve("gen").toString()).code());
        assertEquals(0, run("generate", "--model", m, "--prompt", prompts, "--selector", "random:20", "--seed", "3",
                "--scale", "1", "--out", dir.resolve("plain").toString()).code());
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var gen = json.readTree(dir.resolve("gen/story.json").toFile());
        assertEquals(2.0, gen.get("modelConfig").get("guidance").asDouble());
        assertEquals(3, gen.get("modelConfig").get("denoiseSteps").asInt());
        assertNotEquals(json.readTree(dir.resolve("plain/story.json").toFile()).get("framesSha256"),
                gen.get("framesSha256"), "guidance and steps change the frames");
        Run r = run("replay", "--model", m, "--record", dir.resolve("gen/story.json").toString(), "--transition", "1",
                "--selectors", "none", "--judge", "colour", "--scale", "1", "--out", dir.resolve("rep").toString());
        assertEquals(0, r.code(), r.err());
        var rep = json.readTree(dir.resolve("rep/replay.json").toFile());
        assertTrue(rep.get("recordFramesIdentical").asBoolean(), "the replay samples as the record did");
        assertEquals(2.0, rep.get("sampling").get("guidance").asDouble());
    }

    /** Every command's help renders without picocli format warnings (a lone '%' in a description breaks it). */
    @Test
    void everyHelpFormats() {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.util.List<String> names = new java.util.ArrayList<>();
        try {
            System.setErr(new java.io.PrintStream(captured, true));
            java.util.ArrayDeque<picocli.CommandLine> todo = new java.util.ArrayDeque<>(java.util.List.of(Main.commandLine()));
            while (!todo.isEmpty()) {
                picocli.CommandLine c = todo.pop();
                names.add(c.getCommandSpec().qualifiedName());
                assertTrue(c.getUsageMessage().contains("Usage"), c.getCommandName());
                todo.addAll(c.getSubcommands().values());
            }
        } finally {
            System.setErr(saved);
        }
        assertTrue(names.size() > 15, "walked " + names);
        assertTrue(!captured.toString().contains("Could not format"), captured.toString());
    }

    /** train samples writes the sheet of any model folder: four stacked rows of the model's frames. */
    @Test
    void trainSamplesWritesTheSheet(@TempDir Path dir) throws Exception {
        org.inflvg.TestModels.saveRandom(dir.resolve("m"));
        Path png = dir.resolve("sheet.png");
        Run r = run("train", "samples", "--model", dir.resolve("m").toString(), "--scale", "1", "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        var img = javax.imageio.ImageIO.read(png.toFile());
        int size = org.inflvg.TestModels.SMALL.frameSize();
        assertEquals(org.inflvg.TrainingSamples.ROWS * (size + 1) - 1, img.getHeight());
    }
}
