package org.inflvg.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.inflvg.InfLVG;
import org.inflvg.Scene;
import org.inflvg.Story;
import org.inflvg.select.ContextSelector;
import org.inflvg.select.Selectors;
import org.inflvg.video.Video;
import org.inflvg.world.Eps;
import org.inflvg.world.EpsFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code inflvg generate}: one story from an event prompt set, written as video plus a JSON record. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate a multi-scene story and write story.mp4, story.gif and story.json (provenance).")
public final class GenerateCommand implements Callable<Integer> {

    @picocli.CommandLine.Mixin HostOptions host;

    @Option(names = "--prompts", description = "EPS file (JSONL, keys \"0\"..\"N-1\")")
    Path prompts;
    @Option(names = "--set", defaultValue = "0", description = "which prompt set of the file (0-based line of sets)")
    int set;
    @Option(names = "--prompt", description = "scene prompts separated by '|' (instead of --prompts)")
    String inline;
    @Option(names = "--selector", defaultValue = "full", description = "context selector: " + Selectors.FORMS)
    String selector;
    @Option(names = "--seed", defaultValue = "0")
    long seed;
    @Option(names = "--identity", defaultValue = "-1", description = "individual for the rendered first chunk")
    int identity;
    @Option(names = "--from-noise", description = "generate the first chunk from noise instead of starting from a render")
    boolean fromNoise;
    @Option(names = "--model", description = "model folder (default: data/tinydit)")
    Path model;
    @Option(names = "--scale", defaultValue = "8", description = "upscale factor of the written videos")
    int scale;
    @Option(names = "--out", defaultValue = "out", description = "output folder (default ${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() throws Exception {
        host.check(model);
        Eps eps = eps();
        if (!fromNoise) {
            eps.parsed(); // a rendered start needs SpriteWorld prompts: fail here with the grammar, before loading the model
        }
        // "policy:K" needs the loaded model's policy: check the form now, build the selector after loading
        ReplayCommand.checkSelectors("--selector", selector);
        if (scale < 1 || scale > 32) {
            throw new BadInputException("--scale must be in [1, 32], got " + scale);
        }
        try (InfLVG lvg = host.load(model)) {
            ContextSelector sel = Selectors.parse(selector);
            List<Scene> scenes = new ArrayList<>();
            try (Story st = lvg.story(eps).seed(seed).selector(sel).startRendered(!fromNoise);
                 BenchCommand.Bar bar = BenchCommand.bar("generate", eps.size())) {
                ProgressBar pb = bar.pb();
                while (st.hasNext()) {
                    scenes.add(st.next());
                    pb.step();
                }
                bar.close(); // draws the bar one last time, before the results
                Video v = st.video();
                writeStory(out, "story", v, scale);
                Map<String, Object> rec = record(lvg, eps, sel, seed, !fromNoise, st.identity(), scenes, v);
                BenchCommand.Files.write(out.resolve("story.json"), rec);
                for (Scene s : scenes) {
                    System.out.println(s);
                }
                System.out.println("wrote " + out.resolve("story.mp4") + ", story.gif, story.png, story.json");
            }
        }
        return 0;
    }

    static void writeStory(Path out, String name, Video v, int scale) {
        Video big = v.upscale(scale);
        big.save(out.resolve(name + ".mp4"));
        big.save(out.resolve(name + ".gif"));
        v.upscale(Math.max(1, scale / 2)).save(out.resolve(name + ".png"));
    }

    private Eps eps() {
        Path prompts = inline == null ? host.prompts(this.prompts) : this.prompts;
        if ((prompts == null) == (inline == null)) {
            throw new BadInputException("give exactly one of --prompts FILE (with --set N) or --prompt \"A ... | A ...\"");
        }
        Eps e;
        if (inline != null) {
            e = Eps.parse(inline);
        } else {
            List<Eps> sets = EpsFile.read(prompts);
            if (set < 0 || set >= sets.size()) {
                throw new BadInputException("--set must be in [0, " + (sets.size() - 1) + "] (" + prompts + " holds "
                        + sets.size() + " sets), got " + set);
            }
            e = sets.get(set);
        }
        return identity >= 0 ? e.withIdentity(identity) : e;
    }

    static Map<String, Object> record(InfLVG lvg, Eps eps, ContextSelector sel, long seed, boolean rendered, int identity,
                                      List<Scene> scenes, Video v) {
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("tool", "inflvg generate");
        rec.put("version", "0.1.0");
        rec.put("time", java.time.Instant.now().toString());
        rec.put("model", lvg.modelDir().toAbsolutePath().toString());
        rec.put("modelSha256", lvg.checksum());
        rec.put("modelConfig", lvg.model().config());
        rec.put("host", lvg.host());
        rec.put("device", lvg.device().toString());
        rec.put("seed", seed);
        rec.put("identity", identity);
        rec.put("startRendered", rendered);
        rec.put("selector", sel.name());
        rec.put("prompts", eps.scenes());
        rec.put("framesSha256", v.sha256());
        List<Map<String, Object>> sc = new ArrayList<>();
        for (Scene s : scenes) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("index", s.index());
            m.put("prompt", s.prompt());
            m.put("msPerChunk", s.chunkMillis());
            m.put("contextTokens", s.contextTokens());
            if (s.selection() != null) {
                m.put("selector", s.selection().selector());
                m.put("candidates", s.selection().candidates());
                m.put("kept", s.selection().keptTokens());
            }
            sc.add(m);
        }
        rec.put("scenes", sc);
        rec.put("java", System.getProperty("java.version"));
        return rec;
    }

    static ObjectMapper json() {
        return new ObjectMapper();
    }
}
