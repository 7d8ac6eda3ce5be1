package org.inflvg.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.inflvg.InfLVG;
import org.inflvg.Scene;
import org.inflvg.Story;
import org.inflvg.grpo.RewardFunction;
import org.inflvg.reward.HybridReward;
import org.inflvg.select.ContextSelector;
import org.inflvg.select.Selectors;
import org.inflvg.video.Video;
import org.inflvg.world.Background;
import org.inflvg.world.Eps;
import org.inflvg.world.EpsGenerator;
import org.inflvg.world.Identity;
import org.inflvg.world.Prompt;
import org.inflvg.world.Split;
import org.inflvg.world.SpriteWorld;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code inflvg demo}: the method in one command. Generates one multi-scene story under several context selectors
 * (same noise), writes them side by side (rows: ground truth, then one row per selector) to {@code out/}, and prints
 * per scene transition the hybrid reward's components (learned reward models in {@code data/rewards}): the
 * background the alignment model sees, whether it leaked from the previous scene, alignment, identity, artifact.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Generate a multi-scene story under several selectors, side by side, into out/ (under a minute).")
public final class DemoCommand implements Callable<Integer> {

    @picocli.CommandLine.Mixin HostOptions host;

    @Option(names = "--scenes", defaultValue = "3", description = "scenes in the story, 2..9 (default ${DEFAULT-VALUE})")
    int scenes;
    @Option(names = "--set", defaultValue = "2", description = "test-split prompt set to use (default ${DEFAULT-VALUE})")
    int set;
    @Option(names = "--selectors", defaultValue = "full,none,policy:256",
            description = "selectors to compare (default ${DEFAULT-VALUE}); forms: " + Selectors.FORMS)
    String selectors;
    @Option(names = "--seed", defaultValue = "0")
    long seed;
    @Option(names = "--out", defaultValue = "out", description = "output folder (default ${DEFAULT-VALUE})")
    Path out;
    @Option(names = "--model", description = "model folder (default: data/tinydit)")
    Path model;

    @Override
    public Integer call() throws Exception {
        if (scenes < 2 || scenes > 9) {
            throw new BadInputException("--scenes must be in [2, 9], got " + scenes);
        }
        if (set < 0 || set > 999) {
            throw new BadInputException("--set must be in [0, 999], got " + set);
        }
        host.check(model);
        List<ContextSelector> sels = Selectors.parseList(selectors);
        Eps eps = EpsGenerator.generate(Split.TEST, set + 1, scenes, seed).get(set);
        System.out.println("prompt set (test split, individual #" + eps.identity() + ", "
                + new Identity(eps.identity()).describe() + "):");
        for (int i = 0; i < eps.size(); i++) {
            System.out.println("  scene " + i + ": " + eps.scenes().get(i));
        }
        Video truth = groundTruth(eps);
        Path modelDir = model != null ? model : InfLVG.home().resolve("data/tinydit");
        if (host.host() == null && !Files.isRegularFile(modelDir.resolve("config.json"))) { // a host file's errors say more
            System.out.println("no trained model in " + modelDir + ": writing the ground-truth renders only");
            GenerateCommand.writeStory(out, "demo-ground-truth", truth, 8);
            return 0;
        }
        long t0 = System.nanoTime();
        List<Video> rows = new ArrayList<>();
        rows.add(truth);
        StringBuilder table = new StringBuilder(String.format("%-12s %-6s %-16s %-5s %9s %9s %9s %7s %8s%n",
                "selector", "scene", "background seen", "leak", "alignment", "identity", "artifact", "hybrid", "ms/chunk"));
        double[] meanHybrid = new double[sels.size()];
        try (InfLVG lvg = host.load(model)) {
            HybridReward reward = lvg.reward();
            if (host.samplingFlags() != null || lvg.host().sampling() != null) {
                System.out.println("sampling: " + lvg.sampling() + " (not the model's own config.json)");
            }
            for (int si = 0; si < sels.size(); si++) {
                ContextSelector sel = sels.get(si);
                try (Story st = lvg.story(eps).seed(seed).selector(sel)) {
                    List<Scene> sc = st.all();
                    rows.add(st.video());
                    Video history = sc.get(0).video();
                    for (int i = 1; i < sc.size(); i++) {
                        Video v = sc.get(i).video();
                        Prompt now = Prompt.parse(eps.scenes().get(i)), prev = Prompt.parse(eps.scenes().get(i - 1));
                        double[] bg = lvg.rewards().backgroundProbabilities(v);
                        Background seen = Background.values()[argmax(bg)];
                        RewardFunction.Score score = reward.score(List.of(v), now, history).get(0);
                        var c = score.components();
                        table.append(String.format("%-12s %-6d %-16s %-5s %9.3f %9.3f %9.3f %7.3f %8.0f%s%n", sel.name(), i,
                                seen.name().toLowerCase(), seen == prev.background() && seen != now.background() ? "yes" : "no",
                                c.get("alignment"), c.get("identity"), c.get("artifact"), score.total(),
                                sc.get(i).msPerChunk(), score.note().isEmpty() ? "" : "  (" + score.note() + ")"));
                        meanHybrid[si] += score.total() / (sc.size() - 1);
                        history = history.concat(v);
                    }
                }
            }
        }
        table.append(String.format("%nmean hybrid reward per transition (alignment + identity + artifact, each in [0, 1]):%n"));
        for (int si = 0; si < sels.size(); si++) {
            table.append(String.format("  %-12s %.3f%n", sels.get(si).name(), meanHybrid[si]));
        }
        Video grid = stackRows(rows);
        GenerateCommand.writeStory(out, "demo", grid, 6);
        System.out.println();
        System.out.print(table);
        System.out.printf("%nrows of out/demo.gif: ground truth, then %s; %.1f s%n", selectors,
                (System.nanoTime() - t0) / 1e9);
        System.out.println("wrote " + out.toAbsolutePath().resolve("demo.mp4") + ", demo.gif, demo.png");
        return 0;
    }

    private Video groundTruth(Eps eps) {
        SpriteWorld w = SpriteWorld.standard();
        List<Video> scenesV = new ArrayList<>();
        for (int i = 0; i < eps.size(); i++) {
            scenesV.add(w.render(Prompt.parse(eps.scenes().get(i)), new Identity(eps.identity()), seed + i).video());
        }
        return concatFrames(scenesV);
    }

    private static int argmax(double[] x) {
        int b = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[b]) {
                b = i;
            }
        }
        return b;
    }

    static Video concatFrames(List<Video> vs) {
        int frames = vs.stream().mapToInt(Video::frameCount).sum();
        Video a = vs.get(0);
        float[] all = new float[frames * a.height() * a.width() * 3];
        int o = 0;
        for (Video v : vs) {
            float[] x = v.rgb();
            System.arraycopy(x, 0, all, o, x.length);
            o += x.length;
        }
        return Video.of(frames, a.height(), a.width(), all);
    }

    /** Videos of equal size and length stacked top to bottom with a 1-pixel dark gap. */
    static Video stackRows(List<Video> rows) {
        Video a = rows.get(0);
        int F = rows.stream().mapToInt(Video::frameCount).min().orElse(0), h = a.height(), w = a.width();
        int H = rows.size() * (h + 1) - 1;
        float[] out = new float[F * H * w * 3];
        for (int r = 0; r < rows.size(); r++) {
            for (int f = 0; f < F; f++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        for (int c = 0; c < 3; c++) {
                            out[((f * H + r * (h + 1) + y) * w + x) * 3 + c] = rows.get(r).get(f, y, x, c);
                        }
                    }
                }
            }
        }
        return Video.of(F, H, w, out);
    }
}
