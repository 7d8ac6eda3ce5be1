package org.inflvg.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.inflvg.InfLVG;
import org.inflvg.ReplayResult;
import org.inflvg.Story;
import org.inflvg.grpo.RewardFunction;
import org.inflvg.reward.ColourJudges;
import org.inflvg.reward.HybridReward;
import org.inflvg.reward.RewardModels;
import org.inflvg.select.ContextSelector;
import org.inflvg.select.Selectors;
import org.inflvg.world.Eps;
import org.inflvg.world.EpsFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code inflvg replay}: generates a story, then replays one scene transition under several selectors with the same
 * noise and history, and writes the alternatives side by side with every reward component.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Counterfactual replay: generate a story (with --selector, default the first of --selectors), "
                + "then regenerate scene T under each of --selectors with the same noise and the same history; writes "
                + "replay.gif/.mp4/.png (one row per selector), replay.txt (the table) and replay.json.")
public final class ReplayCommand implements Callable<Integer> {

    static final String DEFAULT_SELECTORS = "full,none,window:4,policy:128";

    @Option(names = "--prompts", description = "EPS file (JSONL, keys \"0\"..\"N-1\")")
    Path prompts;
    @Option(names = "--set", defaultValue = "0", description = "which prompt set of the file (0-based)")
    int set;
    @Option(names = "--prompt", description = "scene prompts separated by '|' (instead of --prompts)")
    String inline;
    @Option(names = "--transition", defaultValue = "1", description = "scene T to replay (1 .. scenes - 1; default "
            + "${DEFAULT-VALUE}): the switch from scene T-1 to scene T")
    int transition;
    @Option(names = "--selectors", defaultValue = DEFAULT_SELECTORS, description = "comma-separated alternatives "
            + "(default ${DEFAULT-VALUE}); forms: " + Selectors.FORMS)
    String selectors;
    @Option(names = "--selector", description = "the story's own selector (default: the first of --selectors)")
    String storySelector;
    @Option(names = "--seed", defaultValue = "0")
    long seed;
    @Option(names = "--identity", defaultValue = "-1", description = "individual for the rendered first chunk")
    int identity;
    @Option(names = "--judge", defaultValue = "auto", description = "who scores: rewards[@DIR] (the learned reward "
            + "models), colour (the fallback) or auto (rewards when data/rewards exists, else colour; default)")
    String judge;
    @Option(names = "--model", description = "model folder (default: data/tinydit)")
    Path model;
    @Option(names = "--scale", defaultValue = "8", description = "upscale factor of the written videos")
    int scale;
    @Option(names = "--out", defaultValue = "out/replay", description = "output folder (default ${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() throws Exception {
        // everything the user typed is checked before the model loads
        Eps eps = eps();
        eps.parsed();
        if (transition < 1 || transition >= eps.size()) {
            throw new BadInputException("--transition must be in [1, " + (eps.size() - 1) + "] (the set has "
                    + eps.size() + " scenes; transition T replays scene T after scene T-1), got " + transition
                    + "; e.g. --transition 1");
        }
        checkSelectors("--selectors", selectors);
        if (storySelector != null) {
            checkSelectors("--selector", storySelector);
        }
        if (scale < 1 || scale > 32) {
            throw new BadInputException("--scale must be in [1, 32], got " + scale + "; e.g. --scale 8");
        }
        Path rewards = BenchCommand.Csv.rewardsDir(judge, model);
        try (InfLVG lvg = BenchCommand.load(model);
             RewardModels rm = rewards == null ? null : RewardModels.load(rewards)) {
            RewardFunction reward = rm != null ? new HybridReward(rm)
                    : new HybridReward(ColourJudges.colour(lvg.model().config().frameSize()));
            List<ContextSelector> alternatives = Selectors.parseList(selectors);
            ContextSelector own = storySelector != null ? Selectors.parse(storySelector) : alternatives.get(0);
            try (Story st = lvg.story(eps).seed(seed).selector(own)) {
                for (int s = 0; s <= transition; s++) {
                    st.next();
                }
                ReplayResult r = st.replay(transition).selectors(alternatives).reward(reward).run();
                String table = r.table();
                System.out.print(table);
                System.out.println("rows of replay.gif: " + r.names());
                GenerateCommand.writeStory(out, "replay", r.grid(), scale);
                java.nio.file.Files.writeString(out.resolve("replay.txt"), table);
                BenchCommand.Files.write(out.resolve("replay.json"), record(lvg, eps, own, r));
                System.out.println("wrote " + out.resolve("replay.gif") + ", replay.mp4, replay.png, replay.txt, "
                        + "replay.json");
            }
        }
        return 0;
    }

    /** Checks selector words before the model loads ("policy:K" needs the model for its policy: only its form). */
    static void checkSelectors(String option, String words) {
        if (words.isBlank()) {
            throw new BadInputException(option + " is empty; allowed forms: " + Selectors.FORMS + "; e.g. " + option
                    + " " + DEFAULT_SELECTORS);
        }
        for (String w : words.split(",")) {
            if (w.isBlank()) {
                continue;
            }
            try {
                if (!w.trim().startsWith("policy:")) {
                    Selectors.parse(w);
                } else if (!w.trim().matches("policy:\\d+(@.+)?")) {
                    throw new IllegalArgumentException("selector '" + w + "' has a bad number");
                }
            } catch (IllegalArgumentException e) {
                throw new BadInputException(option + ": " + e.getMessage().replaceFirst("; allowed forms:.*", "")
                        + "; allowed forms: " + Selectors.FORMS + "; e.g. " + option + " " + DEFAULT_SELECTORS);
            }
        }
    }

    private Eps eps() {
        if ((prompts == null) == (inline == null)) {
            throw new BadInputException("give exactly one of --prompts FILE (with --set N) or --prompt \"A ... | A ...\"");
        }
        Eps e;
        if (inline != null) {
            e = Eps.parse(inline);
        } else {
            if (!java.nio.file.Files.isRegularFile(prompts)) {
                throw new BadInputException("--prompts: file " + prompts + " does not exist; write one with 'inflvg eps "
                        + "--sets 20 --scenes 6 --split test --out eps.jsonl'");
            }
            List<Eps> sets = EpsFile.read(prompts);
            if (set < 0 || set >= sets.size()) {
                throw new BadInputException("--set must be in [0, " + (sets.size() - 1) + "] (" + prompts + " holds "
                        + sets.size() + " sets), got " + set);
            }
            e = sets.get(set);
        }
        if (e.size() < 2) {
            throw new BadInputException("a replay needs a prompt set of at least 2 scenes (a transition), got "
                    + e.size() + "; separate scenes with '|'");
        }
        return identity >= 0 ? e.withIdentity(identity) : e;
    }

    private Map<String, Object> record(InfLVG lvg, Eps eps, ContextSelector own, ReplayResult r) {
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("tool", "inflvg replay");
        rec.put("version", "0.1.0");
        rec.put("time", java.time.Instant.now().toString());
        rec.put("model", lvg.modelDir().toAbsolutePath().toString());
        rec.put("modelSha256", lvg.checksum());
        rec.put("seed", seed);
        rec.put("prompts", eps.scenes());
        rec.put("storySelector", own.name());
        rec.put("transition", r.transition());
        rec.put("storySceneSha256", r.storySha256());
        rec.put("reward", r.reward());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ReplayResult.Row row : r.rows()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", row.name());
            m.put("kept", row.kept());
            m.put("keptTokens", row.selection().keptTokens());
            m.put("rewards", row.rewards());
            m.put("reward", row.reward());
            m.put("note", row.score().note());
            m.put("msPerChunk", row.chunkMillis());
            m.put("framesSha256", row.sha256());
            m.put("sameAsStory", row.sha256().equals(r.storySha256()));
            rows.add(m);
        }
        rec.put("alternatives", rows);
        rec.put("generateMs", r.generateMillis());
        rec.put("rewardMs", r.rewardMillis());
        return rec;
    }
}
