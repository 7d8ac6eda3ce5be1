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

    @picocli.CommandLine.Mixin HostOptions host;

    static final String DEFAULT_SELECTORS = "full,none,window:4,policy:128";

    @Option(names = "--prompts", description = "EPS file (JSONL, keys \"0\"..\"N-1\")")
    Path prompts;
    @Option(names = "--set", defaultValue = "0", description = "which prompt set of the file (0-based)")
    int set;
    @Option(names = "--prompt", description = "scene prompts separated by '|' (instead of --prompts)")
    String inline;
    @Option(names = "--record", description = "a story.json written by 'inflvg generate': the story is regenerated "
            + "from it (prompts, seed, individual, each scene's kept tokens, same model) before the replay, which "
            + "then also holds the recorded selection as 'original'")
    Path record;
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
        host.check(model);
        if (record != null && (prompts != null || inline != null)) {
            throw new BadInputException("give exactly one of --prompts FILE (with --set N), --prompt \"A ... | A ...\" or "
                    + "--record story.json; a record holds its own prompts");
        }
        Recorded rec = record == null ? null : Recorded.read(record);
        Eps eps = rec != null ? rec.eps() : eps();
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
        if (rec != null) {
            Path dirOfModel = model != null ? model : host.host() != null ? host.host().modelDir()
                    : InfLVG.home().resolve("data").resolve("tinydit");
            if (!java.nio.file.Files.isRegularFile(dirOfModel.resolve("config.json"))) {
                throw new BadInputException("--model " + dirOfModel + " is not a model folder (no config.json); give "
                        + "the folder of the model that wrote the record: " + rec.modelDir());
            }
            String sha = org.inflvg.model.ModelFiles.checksum(dirOfModel);
            if (!sha.equals(rec.modelSha256())) {
                throw new BadInputException("--record " + record + " was generated by model " + abbrev(rec.modelSha256())
                        + " (" + rec.modelDir() + "); " + dirOfModel + " is " + abbrev(sha) + ": pass --model with the "
                        + "folder of the model that wrote it, or regenerate the record with 'inflvg generate'");
            }
        }
        Path rewards = BenchCommand.Csv.rewardsDir(judge, model, host.host());
        try (InfLVG lvg = host.load(model);
             RewardModels rm = rewards == null ? null : RewardModels.load(rewards, lvg.device())) {
            RewardFunction reward = rm != null ? new HybridReward(rm)
                    : new HybridReward(ColourJudges.colour(lvg.model().config().frameSize()));
            List<ContextSelector> alternatives = Selectors.parseList(selectors);
            if (rec != null && rec.sampling() != null && !rec.sampling().equals(lvg.sampling())) {
                if (host.samplingFlags() == null) { // sample as the story was sampled
                    lvg.sampling(rec.sampling());
                    System.out.println("sampling as the record: " + rec.sampling());
                } else {
                    System.out.println("warning: the record was sampled with " + rec.sampling() + ", this replay with "
                            + lvg.sampling() + " (--euler-steps/--guidance): its frames will differ from the record's");
                }
            }
            ContextSelector own = rec != null ? rec.selector(lvg.model().config().tokensPerFrame())
                    : storySelector != null ? Selectors.parse(storySelector) : alternatives.get(0);
            try (Story st = lvg.story(eps).seed(rec != null ? rec.seed() : seed).selector(own)
                    .startRendered(rec == null || rec.startRendered())) {
                Boolean same = null;
                if (rec != null) {
                    st.all();
                    same = st.video().sha256().equals(rec.framesSha256());
                    System.out.println(same ? "regenerated the recorded story: frames identical (SHA-256)"
                            : "warning: the regenerated story's frames differ from the record's SHA-256 (another thread "
                            + "count or library build?); the replay uses the regenerated history");
                } else {
                    for (int s = 0; s <= transition; s++) {
                        st.next();
                    }
                }
                var replay = st.replay(transition);
                if (rec != null) {
                    replay = replay.original();
                }
                ReplayResult r = replay.selectors(alternatives).reward(reward).run();
                String table = r.table();
                System.out.print(table);
                System.out.println("rows of replay.gif: " + r.names());
                GenerateCommand.writeStory(out, "replay", r.grid(), scale);
                java.nio.file.Files.writeString(out.resolve("replay.txt"), table);
                Map<String, Object> json = record(lvg, eps, own, r);
                if (same != null) {
                    json.put("recordFramesIdentical", same);
                }
                BenchCommand.Files.write(out.resolve("replay.json"), json);
                System.out.println("wrote " + out.resolve("replay.gif") + ", replay.mp4, replay.png, replay.txt, "
                        + "replay.json");
            }
        }
        return 0;
    }

    private static String abbrev(String sha) {
        return sha.length() > 12 ? sha.substring(0, 12) : sha;
    }

    /** What a 'generate' record holds that a replay needs: prompts, seed, individual, start, kept tokens per scene. */
    record Recorded(List<String> prompts, long seed, int identity, boolean startRendered, String modelSha256,
                    String modelDir, String framesSha256, String selectorName, Map<Integer, int[]> kept,
                    Map<Integer, Integer> candidates, org.inflvg.model.Sampling sampling) {

        static Recorded read(Path file) {
            if (!java.nio.file.Files.isRegularFile(file)) {
                throw new BadInputException("--record: file " + file + " does not exist; 'inflvg generate --out DIR' "
                        + "writes DIR/story.json");
            }
            com.fasterxml.jackson.databind.JsonNode n;
            try {
                n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(file.toFile());
            } catch (java.io.IOException e) {
                throw new BadInputException("--record: " + file + " is not JSON (" + e.getMessage() + ")");
            }
            for (String key : new String[] {"prompts", "seed", "modelSha256", "scenes", "framesSha256"}) {
                if (!n.has(key)) {
                    throw new BadInputException("--record: " + file + " has no '" + key + "'; give a story.json "
                            + "written by 'inflvg generate'");
                }
            }
            List<String> prompts = new ArrayList<>();
            n.get("prompts").forEach(p -> prompts.add(p.asText()));
            Map<Integer, int[]> kept = new LinkedHashMap<>();
            Map<Integer, Integer> cands = new LinkedHashMap<>();
            for (var sc : n.get("scenes")) {
                if (sc.has("kept")) {
                    int[] k = new int[sc.get("kept").size()];
                    for (int i = 0; i < k.length; i++) {
                        k[i] = sc.get("kept").get(i).asInt();
                    }
                    kept.put(sc.path("index").asInt(), k);
                    cands.put(sc.path("index").asInt(), sc.path("candidates").asInt());
                }
            }
            if (kept.size() != prompts.size() - 1) {
                throw new BadInputException("--record: " + file + " holds the selections of " + kept.size() + " scene "
                        + "switches, its prompts need " + (prompts.size() - 1) + "; regenerate it with 'inflvg generate'");
            }
            return new Recorded(prompts, n.get("seed").asLong(), n.path("identity").asInt(-1),
                    n.path("startRendered").asBoolean(true), n.get("modelSha256").asText(), n.path("model").asText(),
                    n.get("framesSha256").asText(), n.path("selector").asText("recorded"), kept, cands,
                    sampling(file, n.path("modelConfig")));
        }

        /** The Euler steps and guidance the story was sampled with (null for a record without its model config). */
        private static org.inflvg.model.Sampling sampling(Path file, com.fasterxml.jackson.databind.JsonNode cfg) {
            if (!cfg.has("denoiseSteps") || !cfg.has("guidance")) {
                return null;
            }
            try {
                return new org.inflvg.model.Sampling(cfg.get("denoiseSteps").asInt(), cfg.get("guidance").asDouble());
            } catch (IllegalArgumentException e) {
                throw new BadInputException("--record: " + file + ": modelConfig: " + e.getMessage());
            }
        }

        Eps eps() {
            Eps e = Eps.parse(String.join(" | ", prompts));
            return identity >= 0 ? e.withIdentity(identity) : e;
        }

        /** Keeps at each scene switch exactly the recorded tokens. */
        ContextSelector selector(int tokensPerFrame) {
            String name = selectorName;
            return new ContextSelector() {
                @Override
                public org.inflvg.select.Selection select(org.inflvg.select.SelectionRequest r) {
                    int[] k = kept.get(r.scene());
                    if (k == null || candidates.get(r.scene()) != r.history()) {
                        throw new IllegalArgumentException("--record: scene " + r.scene() + " has no recorded selection "
                                + "over " + r.history() + " history tokens (the model's sizes differ from the record's)");
                    }
                    return new org.inflvg.select.Selection(name, k, new int[0], null, r.history(), -1, tokensPerFrame);
                }

                @Override
                public String name() {
                    return name;
                }
            };
        }
    }

    /** Checks selector words before the model loads ("policy:K" needs the model for its policy: only its form). */
    static void checkSelectors(String option, String words) {
        checkSelectors(option, words, DEFAULT_SELECTORS);
    }

    /**
     * Checks selector words before a model is loaded (policy:K is resolved later, when first used), so a typo is exit
     * 2 naming the option, the allowed forms and an example.
     */
    static void checkSelectors(String option, String words, String example) {
        if (words.isBlank()) {
            throw new BadInputException(option + " is empty; allowed forms: " + Selectors.FORMS + "; e.g. " + option
                    + " " + example);
        }
        for (String w : words.split(",")) {
            if (w.isBlank()) {
                continue;
            }
            try {
                if (!w.trim().startsWith("policy:")) {
                    Selectors.parse(w);
                } else if (!w.trim().matches("policy:[1-9]\\d*(@.+)?")) { // syntax only: no policy is loaded here
                    throw new IllegalArgumentException("selector '" + w.trim() + "' has a bad number");
                }
            } catch (IllegalArgumentException e) {
                throw new BadInputException(option + ": " + e.getMessage().replaceFirst("; allowed forms:.*", "")
                        + "; allowed forms: " + Selectors.FORMS + "; e.g. " + option + " " + example);
            }
        }
    }

    private Eps eps() {
        if ((prompts == null) == (inline == null)) {
            throw new BadInputException("give exactly one of --prompts FILE (with --set N), --prompt \"A ... | A ...\" or "
                    + "--record story.json");
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
        rec.put("sampling", lvg.sampling());
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
