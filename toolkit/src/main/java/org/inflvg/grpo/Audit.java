package org.inflvg.grpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import tech.tablesaw.api.BooleanColumn;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.Table;

/**
 * The reward audit of a GRPO run, read from its {@code grpo-log.jsonl} (live or afterwards): per-component reward
 * traces and their spread within each group, the share of groups with no spread (updates skipped), the policy's entropy
 * against the updates, how much the selections of a group overlap, and plain-words warnings for the known failure
 * patterns. {@code Audit.of(runDir).summary()}; {@link #write} adds PNG plots and {@code audit.md}.
 *
 * <p>What the warnings test (thresholds are the constants below):
 * <ul>
 *   <li><b>constant component</b>: a component that enters the reward total never varies over every logged rollout
 *       (range below {@value #CONSTANT_RANGE}); it cannot move an advantage and often means a score that failed and
 *       fell back to a constant;</li>
 *   <li><b>most groups without spread</b>: more than {@value #MOST_GROUPS} of the groups had all rewards equal, so
 *       their updates were skipped;</li>
 *   <li><b>entropy collapsed early</b>: within one policy's updates (a segment: the step counter restarts for every
 *       fresh policy of test-time GRPO), the entropy fell below {@value #COLLAPSE_SHARE} of its first value within the
 *       first third of the segment's updates;</li>
 *   <li><b>one component rising while another falls</b>: in a segment of at least {@value #TREND_MIN_UPDATES}
 *       updates, the least-squares trends of two components' group means have opposite signs, each with |t| at least
 *       {@value #TREND_T} and a fitted change over the segment of at least {@value #TREND_MIN_CHANGE} (reward hacking:
 *       one term bought with another);</li>
 *   <li><b>rollouts alike</b>: the mean pairwise Jaccard overlap of the tokens the members of a group drew is at least
 *       {@value #OVERLAP_HIGH} (only for logs that hold each member's {@code chosen} tokens);</li>
 *   <li><b>wild gradients</b>: an update's gradient norm before clipping was NaN, infinite or above
 *       {@value #GRAD_NORM_WILD};</li>
 *   <li><b>ended weaker</b>: the last of the log's validation scores is more than
 *       {@value PolicyTraining#LAST_BELOW_BEST} below the best one.</li>
 * </ul>
 *
 * <p>Which components make the total: the {@code weights} of the log's {@code run} row (written since issue 11). Older
 * logs have none; then every logged component except {@code presence} (the hybrid reward's diagnostic) is taken to
 * be in the total.
 */
public final class Audit {

    /** A component whose values span less than this is constant. */
    public static final double CONSTANT_RANGE = 1e-6;
    /** A gradient norm (before clipping) above this, or not finite, is wild: healthy policy runs stay below ~300. */
    public static final double GRAD_NORM_WILD = 1e6;
    /** Share of zero-spread groups above which the audit warns. */
    public static final double MOST_GROUPS = 0.5;
    /** Entropy below this share of its first value counts as collapsed. */
    public static final double COLLAPSE_SHARE = 0.5;
    /** |t| of a trend at least this is a trend. */
    public static final double TREND_T = 3.0;
    /** A trend's fitted change over the segment must be at least this. */
    public static final double TREND_MIN_CHANGE = 0.02;
    /** Updates a segment needs before trends are tested. */
    public static final int TREND_MIN_UPDATES = 6;
    /**
     * The probe's subject enrichment at the last update at most this (1: what a random selection keeps) after at least
     * {@link #SUBJECT_HELD} at an update after the first tenth: the summary says the top-K lost the subject. A line,
     * not a warning: of ten runs measured it held for both weak runs of the shipped command and for two centred runs
     * that were fine on test (data/README.md).
     */
    public static final double SUBJECT_LOST = 1.2;
    /** See {@link #SUBJECT_LOST}. */
    public static final double SUBJECT_HELD = 1.5;
    /** Mean overlap of a group's selections at or above this: the rollouts hardly differ. */
    public static final double OVERLAP_HIGH = 0.95;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One GRPO update (one group) as logged.
     *
     * @param index      position in the log, from 0
     * @param step       the trainer's step counter (restarts with every fresh policy)
     * @param set        prompt set index
     * @param scene      the transition's scene index
     * @param segment    which policy's run it belongs to (a new segment starts when the step counter restarts)
     * @param mean       per component, the group mean
     * @param spread     per component, the group's standard deviation
     * @param reward     mean reward total of the group
     * @param entropy    entropy of the policy's distribution over candidates when the group was sampled
     * @param zeroSpread whether all rewards were equal (update skipped)
     * @param loss       policy loss
     * @param gradNorm   gradient norm before clipping
     * @param overlap    mean pairwise Jaccard overlap of the members' drawn tokens (NaN when the log has none)
     * @param ratio      PPO ratio at the first epoch: the loss's log pi against the sampler's (must be 1; NaN when the
     *                   log predates the check)
     * @param budget     tokens each member drew, K (-1 when the log does not say)
     * @param topK       reward of the policy's deterministic top-K after the update (NaN when not logged)
     * @param candidates tokens the policy chose from (-1 when the log does not say)
     * @param probe      the tokens the policy's deterministic top-K chose on the run's fixed probe after the update
     *                   (anchors left out, ascending; null when the log does not hold them: {@code grpo} runs and logs
     *                   written before {@code probe_top_k})
     * @param probeOnSubject share of those tokens on the subject (NaN when not logged)
     * @param probeHistoryOnSubject share of the whole probe history on the subject: what a random selection keeps (NaN
     *                   when not logged)
     */
    public record Update(int index, long step, int set, int scene, int segment, Map<String, Double> mean,
                         Map<String, Double> spread, double reward, double entropy, boolean zeroSpread, double loss,
                         double gradNorm, double overlap, double ratio, int budget, double topK, int candidates,
                         int[] probe, double probeOnSubject, double probeHistoryOnSubject) {

        /** ln(candidates) - entropy: 0 for a uniform draw; NaN when the log does not hold the candidate count. */
        public double belowUniform() {
            return GrpoStep.belowUniform(candidates, entropy);
        }

        /**
         * How many times the history's share of subject tokens the probe's top-K keeps: 1 is what a random selection
         * keeps; NaN when not logged or when the probe history has no subject token.
         */
        public double subjectEnrichment() {
            return probeHistoryOnSubject > 0 ? probeOnSubject / probeHistoryOnSubject : Double.NaN;
        }
    }

    /**
     * Mean {@link Update#belowUniform()} over the last updates below which the summary says the samples stayed
     * near a uniform draw (nats).
     */
    public static final double NEAR_UNIFORM = 0.01;

    /**
     * Largest tolerated |ratio - 1| at the first epoch before the sampler/log-probability drift warning: the loss sums
     * K float32 log-probabilities (about -6 each for K = 128) while the sampler's check is in double, which alone
     * moves the ratio by up to ~0.5 %; a real mismatch (another temperature, masking) moves it by far more.
     */
    public static final double RATIO_TOLERANCE = 0.02;

    private final Path log;
    private final List<Update> updates;
    private final List<String> components, diagnostics;
    private final boolean weightsLogged;
    private final Map<String, double[]> memberRange; // per component: min, max over every logged rollout
    private final int partialLines;
    private final List<String> warnings;
    private final List<JsonNode> validation; // the log's "validation" rows, in order
    private final List<Long> wildGradients; // steps whose gradient norm was non-finite or above GRAD_NORM_WILD

    private Audit(Path log, List<Update> updates, List<String> components, List<String> diagnostics,
                  boolean weightsLogged, Map<String, double[]> memberRange, int partialLines, List<JsonNode> validation,
                  List<Long> wildGradients) {
        this.log = log;
        this.updates = List.copyOf(updates);
        this.components = List.copyOf(components);
        this.diagnostics = List.copyOf(diagnostics);
        this.weightsLogged = weightsLogged;
        this.memberRange = memberRange;
        this.partialLines = partialLines;
        this.validation = List.copyOf(validation);
        this.wildGradients = List.copyOf(wildGradients);
        this.warnings = List.copyOf(findWarnings());
    }

    /**
     * Reads a GRPO run folder (or its {@code grpo-log.jsonl} directly). A last line cut short by a live run is left
     * out; any other line that is not JSON is an error naming its number.
     */
    public static Audit of(Path run) {
        Path file = Files.isDirectory(run) ? run.resolve("grpo-log.jsonl") : run;
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no GRPO log at " + file + ": give a run folder written by "
                    + "'./inflvg grpo --out DIR' or './inflvg train policy --out DIR' (it holds grpo-log.jsonl)");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        Map<String, Double> weights = Map.of();
        boolean weightsLogged = false;
        List<JsonNode> scalars = new ArrayList<>();
        List<List<JsonNode>> members = new ArrayList<>();
        List<JsonNode> validation = new ArrayList<>();
        int partial = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (line.isEmpty()) {
                continue;
            }
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                if (i == lines.size() - 1) { // a live run is writing it
                    partial++;
                    continue;
                }
                throw new IllegalArgumentException(file + " line " + (i + 1) + " is not JSON (" + e.getOriginalMessage()
                        + "); remove the line or rerun the step that wrote it");
            }
            switch (n.path("kind").asText()) {
                case "run" -> {
                    if (n.path("weights").size() > 0) {
                        Map<String, Double> w = new LinkedHashMap<>();
                        n.get("weights").fields().forEachRemaining(e -> w.put(e.getKey(), e.getValue().asDouble()));
                        weights = w;
                        weightsLogged = true;
                    }
                }
                case "scalars" -> {
                    scalars.add(n);
                    members.add(new ArrayList<>());
                }
                case "validation" -> validation.add(n);
                case "member" -> {
                    if (!members.isEmpty()) {
                        members.get(members.size() - 1).add(n);
                    }
                }
                default -> {
                    // other kinds are for other readers
                }
            }
        }
        if (scalars.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no GRPO update yet (no \"scalars\" row); wait for the "
                    + "first step or check the run's --out");
        }
        // components: reward/<name> keys of the scalars rows
        Set<String> logged = new LinkedHashSet<>();
        for (JsonNode s : scalars) {
            s.fieldNames().forEachRemaining(k -> {
                if (k.startsWith("reward/") && !k.equals("reward/mean")) {
                    logged.add(k.substring("reward/".length()));
                }
            });
        }
        List<String> comps = new ArrayList<>(), diags = new ArrayList<>();
        for (String c : logged) {
            boolean inTotal = weightsLogged ? weights.getOrDefault(c, 0.0) != 0 : !c.equals("presence");
            (inTotal ? comps : diags).add(c);
        }
        Map<String, double[]> range = new LinkedHashMap<>();
        List<Update> ups = new ArrayList<>();
        List<Long> wildGradients = new ArrayList<>();
        int segment = 0;
        long lastStep = Long.MIN_VALUE;
        for (int u = 0; u < scalars.size(); u++) {
            JsonNode s = scalars.get(u);
            long step = s.path("step").asLong();
            if (u > 0 && step <= lastStep) {
                segment++;
            }
            lastStep = step;
            Map<String, Double> mean = new LinkedHashMap<>(), spread = new LinkedHashMap<>();
            for (String c : logged) {
                mean.put(c, s.path("reward/" + c).asDouble(Double.NaN));
                spread.put(c, s.path("reward_std/" + c).asDouble(Double.NaN));
            }
            List<int[]> chosen = new ArrayList<>();
            for (JsonNode m : members.get(u)) {
                JsonNode r = m.path("rewards");
                for (String c : logged) {
                    if (r.has(c)) {
                        double v = r.get(c).asDouble();
                        double[] mm = range.computeIfAbsent(c, k -> new double[] {v, v});
                        mm[0] = Math.min(mm[0], v);
                        mm[1] = Math.max(mm[1], v);
                    }
                }
                if (m.has("chosen")) {
                    chosen.add(ints(m.get("chosen")));
                }
            }
            if (s.has("grad_norm") && !s.path("zero_spread").asBoolean(false)
                    && !(s.path("grad_norm").asDouble(Double.NaN) <= GRAD_NORM_WILD)) {
                wildGradients.add(step);
            }
            ups.add(new Update(u, step, s.path("set").asInt(-1), s.path("scene").asInt(-1), segment, mean, spread,
                    s.path("reward/mean").asDouble(Double.NaN), s.path("entropy").asDouble(Double.NaN),
                    s.path("zero_spread").asBoolean(false), s.path("loss/policy").asDouble(Double.NaN),
                    s.path("grad_norm").asDouble(Double.NaN), chosen.size() >= 2 ? meanJaccard(chosen) : Double.NaN,
                    s.path("ratio_first_epoch").asDouble(Double.NaN),
                    s.path("budget").asInt(chosen.isEmpty() ? -1 : chosen.get(0).length),
                    s.path("top_k_reward").asDouble(Double.NaN), s.path("candidates").asInt(-1),
                    s.has("probe_top_k") ? ints(s.get("probe_top_k")) : null,
                    s.path("probe_on_subject").asDouble(Double.NaN),
                    s.path("probe_history_on_subject").asDouble(Double.NaN)));
        }
        return new Audit(file, ups, comps, diags, weightsLogged, range, partial, validation, wildGradients);
    }

    private static int[] ints(JsonNode array) {
        int[] t = new int[array.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = array.get(i).asInt();
        }
        return t;
    }

    /** Share of the tokens of {@code before} that {@code after} no longer holds (0: same top-K, 1: all replaced). */
    static double replaced(int[] before, int[] after) {
        Set<Integer> now = new HashSet<>();
        Arrays.stream(after).forEach(now::add);
        return before.length == 0 ? 0 : Arrays.stream(before).filter(t -> !now.contains(t)).count()
                / (double) before.length;
    }

    /**
     * Per update, the share of the probe's top-K replaced since the previous update of the same policy (NaN for a
     * policy's first update and where the log holds no probe): how fast the policy's decisions move on one input that
     * stays the same. Bursts come in weak and healthy runs alike (data/README.md): a measurement, not a diagnosis.
     */
    public double[] probeTurnover() {
        double[] r = new double[updates.size()];
        for (int i = 0; i < r.length; i++) {
            Update u = updates.get(i), prev = i == 0 ? null : updates.get(i - 1);
            r[i] = prev == null || u.probe() == null || prev.probe() == null || prev.segment() != u.segment()
                    ? Double.NaN : replaced(prev.probe(), u.probe());
        }
        return r;
    }

    /** Per update, the share of the probe's top-K replaced since the policy's first logged update (NaN: no probe). */
    public double[] probeDrift() {
        double[] r = new double[updates.size()];
        List<List<Update>> segs = segments();
        for (int i = 0; i < r.length; i++) {
            Update u = updates.get(i);
            Update first = segs.get(u.segment()).get(0);
            r[i] = u.probe() == null || first.probe() == null ? Double.NaN : replaced(first.probe(), u.probe());
        }
        return r;
    }

    /**
     * The update of the last policy with the highest subject enrichment after its first tenth, when it reached {@link
     * #SUBJECT_HELD} and the last update is at or below {@link #SUBJECT_LOST}; null otherwise (or when not logged).
     */
    public Update subjectLostSince() {
        int n = updates.size();
        Update end = updates.get(n - 1), held = null;
        if (Double.isNaN(end.subjectEnrichment()) || end.subjectEnrichment() > SUBJECT_LOST) {
            return null;
        }
        for (Update u : updates.subList(n / 10, n)) {
            held = u.segment() == end.segment() && u.subjectEnrichment() >= SUBJECT_HELD
                    && (held == null || u.subjectEnrichment() > held.subjectEnrichment()) ? u : held;
        }
        return held;
    }

    /** The validation row with the highest mean (the first of equals): the policy kept in best/. */
    private static JsonNode best(List<JsonNode> validation) {
        JsonNode best = validation.get(0);
        for (JsonNode v : validation) {
            best = v.path("mean").asDouble() > best.path("mean").asDouble() ? v : best;
        }
        return best;
    }

    /** Mean pairwise Jaccard overlap |A n B| / |A u B| of a group's selections. */
    static double meanJaccard(List<int[]> sets) {
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < sets.size(); i++) {
            Set<Integer> a = new HashSet<>();
            Arrays.stream(sets.get(i)).forEach(a::add);
            for (int j = i + 1; j < sets.size(); j++) {
                int inter = 0;
                for (int t : sets.get(j)) {
                    if (a.contains(t)) {
                        inter++;
                    }
                }
                int union = a.size() + sets.get(j).length - inter;
                sum += union == 0 ? 1 : inter / (double) union;
                pairs++;
            }
        }
        return sum / pairs;
    }

    // ---------------------------------------------------------------- findings

    private List<String> findWarnings() {
        List<String> w = new ArrayList<>();
        int n = updates.size();
        double worst = updates.stream().mapToDouble(Update::ratio).filter(d -> !Double.isNaN(d))
                .map(d -> Math.abs(d - 1)).max().orElse(0);
        if (worst > RATIO_TOLERANCE) {
            long bad = updates.stream().filter(u -> !Double.isNaN(u.ratio()) && Math.abs(u.ratio() - 1) > RATIO_TOLERANCE)
                    .count();
            w.add(String.format(Locale.ROOT, "the sampler and the log-probability disagree: the PPO ratio at the first "
                    + "epoch is off 1 by up to %.3g in %d of %d updates (it must be 1). The selections are drawn from "
                    + "another distribution than the one the loss differentiates (temperature, masking or anchors "
                    + "treated differently); the policy gradient is biased until they match.", worst, bad, n));
        }
        for (String c : components) {
            double[] r = memberRange.get(c);
            double lo, hi;
            if (r != null) {
                lo = r[0];
                hi = r[1];
            } else { // no member rows: group means and spreads
                lo = updates.stream().mapToDouble(u -> u.mean().get(c)).min().orElse(0);
                hi = updates.stream().mapToDouble(u -> u.mean().get(c)).max().orElse(0)
                        + updates.stream().mapToDouble(u -> u.spread().get(c)).max().orElse(0);
            }
            if (hi - lo < CONSTANT_RANGE) {
                w.add(String.format(Locale.ROOT, "reward component '%s' is constant (%.3f in every rollout of all %d "
                        + "groups): it never moves an advantage. A score that fails and falls back to a fixed value "
                        + "looks like this; check the reward's notes, or drop the component's weight.", c, lo, n));
            }
        }
        long zero = updates.stream().filter(Update::zeroSpread).count();
        if (zero > MOST_GROUPS * n) {
            w.add(String.format(Locale.ROOT, "%d of %d groups (%.0f %%) had no reward spread, so their updates were "
                    + "skipped: the rollouts of a group score the same. Check that the selections differ (overlap), "
                    + "that the reward reacts to the selection (replay a transition), or raise the group size.",
                    zero, n, 100.0 * zero / n));
        }
        for (List<Update> seg : segments()) {
            double first = seg.get(0).entropy();
            if (seg.size() >= 4 && first > 0) {
                for (int i = 1; i < seg.size(); i++) {
                    if (seg.get(i).entropy() < COLLAPSE_SHARE * first) {
                        if (i < seg.size() / 3.0) {
                            w.add(String.format(Locale.ROOT, "policy entropy collapsed early%s: %.2f -> %.2f (below "
                                    + "half) by update %d of %d; the policy turned nearly deterministic before the "
                                    + "reward could guide it. Lower the learning rate or add the KL term (klCoef).",
                                    where(seg), first, seg.get(i).entropy(), i + 1, seg.size()));
                        }
                        break;
                    }
                }
            }
            if (seg.size() >= TREND_MIN_UPDATES) {
                List<String> up = new ArrayList<>(), down = new ArrayList<>();
                for (String c : components) {
                    double[] tr = trend(seg.stream().mapToDouble(u -> u.mean().get(c)).toArray());
                    if (tr[1] >= TREND_T && tr[0] >= TREND_MIN_CHANGE) {
                        up.add(String.format(Locale.ROOT, "'%s' rose (%+.3f)", c, tr[0]));
                    } else if (tr[1] <= -TREND_T && tr[0] <= -TREND_MIN_CHANGE) {
                        down.add(String.format(Locale.ROOT, "'%s' fell (%+.3f)", c, tr[0]));
                    }
                }
                if (!up.isEmpty() && !down.isEmpty()) {
                    w.add(String.format(Locale.ROOT, "%s while %s%s (linear trends over %d updates, |t| >= %.0f): the "
                            + "policy may be buying one component with another (reward hacking). Replay a late "
                            + "transition to see what it keeps, or re-weight the reward.", String.join(" and ", up),
                            String.join(" and ", down), where(seg), seg.size(), TREND_T));
                }
            }
        }
        if (validation.size() >= 2) {
            JsonNode last = validation.get(validation.size() - 1), best = best(validation);
            double drop = best.path("mean").asDouble() - last.path("mean").asDouble();
            if (drop > PolicyTraining.LAST_BELOW_BEST) {
                w.add(String.format(Locale.ROOT, "the run ended weaker than it was: the last validation (%.3f at update "
                        + "%d) is %.3f below the best (%.3f at update %d). Use the policy kept in best/, not the last "
                        + "checkpoint; a collapse of the top-K (e.g. into a fixed position pattern) looks like this.",
                        last.path("mean").asDouble(), last.path("step").asLong(), drop, best.path("mean").asDouble(),
                        best.path("step").asLong()));
            }
        }
        if (!wildGradients.isEmpty()) {
            w.add(String.format(Locale.ROOT, "%d of %d updates had a gradient norm that was not finite or above %.0e "
                    + "(update%s %s): AdamW skips a non-finite gradient and clips a large one, but a healthy run has "
                    + "none. An overflow in the loss, or a graph that read freed memory (see org.inflvg.model.Scalars), "
                    + "looks like this; a rerun of the same command that differs from this one from such an update on "
                    + "is the same sign.", wildGradients.size(), n, GRAD_NORM_WILD,
                    wildGradients.size() == 1 ? "" : "s",
                    wildGradients.stream().limit(8).map(String::valueOf)
                            .collect(java.util.stream.Collectors.joining(", ")) + (wildGradients.size() > 8 ? ", ..." : "")));
        }
        double ov = meanOverlap();
        if (ov >= OVERLAP_HIGH) {
            w.add(String.format(Locale.ROOT, "the selections within a group hardly differ (mean overlap %.2f): the "
                    + "rollouts explore nothing. The policy's distribution is too peaked, or K covers nearly every "
                    + "candidate.", ov));
        }
        return w;
    }

    private String where(List<Update> seg) {
        return segments().size() == 1 ? "" : String.format(Locale.ROOT, " (policy %d: set %d, scene %d)",
                seg.get(0).segment(), seg.get(0).set(), seg.get(0).scene());
    }

    /** Fitted change over the series (slope * (n - 1)) and the slope's t statistic. */
    static double[] trend(double[] y) {
        int n = y.length;
        double mx = (n - 1) / 2.0, my = Arrays.stream(y).average().orElse(0), sxx = 0, sxy = 0;
        for (int i = 0; i < n; i++) {
            sxx += (i - mx) * (i - mx);
            sxy += (i - mx) * (y[i] - my);
        }
        double slope = sxy / sxx, sse = 0;
        for (int i = 0; i < n; i++) {
            double e = y[i] - my - slope * (i - mx);
            sse += e * e;
        }
        double se = Math.sqrt(sse / Math.max(1, n - 2) / sxx);
        double t = se == 0 ? (slope == 0 ? 0 : Math.signum(slope) * Double.POSITIVE_INFINITY) : slope / se;
        return new double[] {slope * (n - 1), t};
    }

    // ---------------------------------------------------------------- accessors

    /** Every update, in log order. */
    public List<Update> updates() {
        return updates;
    }

    /** The updates of each policy (one segment for amortised training, one per scene switch for test-time GRPO). */
    public List<List<Update>> segments() {
        List<List<Update>> out = new ArrayList<>();
        for (Update u : updates) {
            if (out.size() <= u.segment()) {
                out.add(new ArrayList<>());
            }
            out.get(u.segment()).add(u);
        }
        return out;
    }

    /** Components that make the reward total. */
    public List<String> components() {
        return components;
    }

    /** Logged components that are not in the total (e.g. the hybrid reward's {@code presence}). */
    public List<String> diagnostics() {
        return diagnostics;
    }

    /** The warnings, in plain words; empty when the run shows none of the known failure patterns. */
    public List<String> warnings() {
        return warnings;
    }

    /** Share of groups whose rewards were all equal (their updates were skipped). */
    public double zeroSpreadShare() {
        return updates.stream().filter(Update::zeroSpread).count() / (double) updates.size();
    }

    /** Mean overlap of the selections within a group over the run; NaN when the log does not hold them. */
    public double meanOverlap() {
        return updates.stream().mapToDouble(Update::overlap).filter(d -> !Double.isNaN(d)).average().orElse(Double.NaN);
    }

    /**
     * One row per update: step, set, scene, segment, reward, each component's mean and spread, entropy, its distance
     * from uniform, zero spread, overlap, the share of the probe's top-K replaced since the previous update and its
     * subject enrichment ({@link Update#subjectEnrichment()}).
     */
    public Table table() {
        Table t = Table.create("audit");
        t.addColumns(IntColumn.create("update", updates.stream().mapToInt(Update::index).toArray()),
                LongColumn.create("step", updates.stream().mapToLong(Update::step).toArray()),
                IntColumn.create("set", updates.stream().mapToInt(Update::set).toArray()),
                IntColumn.create("scene", updates.stream().mapToInt(Update::scene).toArray()),
                IntColumn.create("segment", updates.stream().mapToInt(Update::segment).toArray()),
                DoubleColumn.create("reward", updates.stream().mapToDouble(Update::reward).toArray()));
        for (String c : all()) {
            t.addColumns(DoubleColumn.create(c, updates.stream().mapToDouble(u -> u.mean().get(c)).toArray()),
                    DoubleColumn.create("spread/" + c, updates.stream().mapToDouble(u -> u.spread().get(c)).toArray()));
        }
        BooleanColumn zero = BooleanColumn.create("zero_spread");
        updates.forEach(u -> zero.append(u.zeroSpread()));
        t.addColumns(DoubleColumn.create("entropy", updates.stream().mapToDouble(Update::entropy).toArray()),
                DoubleColumn.create("below uniform", updates.stream().mapToDouble(Update::belowUniform).toArray()), zero,
                DoubleColumn.create("overlap", updates.stream().mapToDouble(Update::overlap).toArray()),
                DoubleColumn.create("probe replaced", probeTurnover()),
                DoubleColumn.create("probe subject x", updates.stream().mapToDouble(Update::subjectEnrichment).toArray()));
        return t;
    }

    private List<String> all() {
        List<String> a = new ArrayList<>(components);
        a.addAll(diagnostics);
        return a;
    }

    private static double meanOf(double[] v, int from, int to) {
        return Arrays.stream(v, from, to).filter(d -> !Double.isNaN(d)).average().orElse(Double.NaN);
    }

    /** The summary a person reads first: sizes, per-component first/last/spread, zero spread, entropy, overlap, warnings. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        List<List<Update>> segs = segments();
        sb.append(String.format(Locale.ROOT, "GRPO audit of %s: %d updates, %d polic%s%s%n", log, updates.size(),
                segs.size(), segs.size() == 1 ? "y" : "ies", partialLines > 0 ? " (last line cut short: left out)" : ""));
        int edge = Math.max(1, updates.size() / 10);
        List<Update> head = updates.subList(0, edge), tail = updates.subList(updates.size() - edge, updates.size());
        sb.append(String.format(Locale.ROOT, "%-12s %9s %9s %12s %9s  %s   (first/last: mean of the first/last %d "
                + "updates)%n", "component", "first", "last", "mean spread", "range", "in total", edge));
        for (String c : all()) {
            double[] r = memberRange.get(c);
            sb.append(String.format(Locale.ROOT, "%-12s %9.3f %9.3f %12.4f %9s  %s%n", c,
                    head.stream().mapToDouble(u -> u.mean().get(c)).average().orElse(Double.NaN),
                    tail.stream().mapToDouble(u -> u.mean().get(c)).average().orElse(Double.NaN),
                    updates.stream().mapToDouble(u -> u.spread().get(c)).average().orElse(Double.NaN),
                    r == null ? "-" : String.format(Locale.ROOT, "%.3f", r[1] - r[0]),
                    components.contains(c) ? (weightsLogged ? "yes" : "yes (assumed)") : "no"));
        }
        sb.append(String.format(Locale.ROOT, "%-12s %9.3f %9.3f%n", "total", head.stream().mapToDouble(Update::reward)
                .average().orElse(Double.NaN), tail.stream().mapToDouble(Update::reward).average().orElse(Double.NaN)));
        sb.append(String.format(Locale.ROOT, "zero-spread groups: %.0f %% (updates skipped)%n", 100 * zeroSpreadShare()));
        sb.append(String.format(Locale.ROOT, "entropy: first %.2f, last %.2f, lowest %.2f%n", updates.get(0).entropy(),
                updates.get(updates.size() - 1).entropy(),
                updates.stream().mapToDouble(Update::entropy).min().orElse(Double.NaN)));
        double[] below = updates.stream().mapToDouble(Update::belowUniform).toArray();
        if (java.util.Arrays.stream(below).allMatch(Double::isNaN)) {
            sb.append("entropy below uniform (ln candidates - entropy): not in this log (written before the candidate "
                    + "count was logged)\n");
        } else {
            double tailBelow = tail.stream().mapToDouble(Update::belowUniform).filter(d -> !Double.isNaN(d)).average()
                    .orElse(Double.NaN);
            sb.append(String.format(Locale.ROOT, "entropy below uniform (ln candidates - entropy): first %.3f, last %d "
                    + "updates %.3f, largest %.3f nats%s%n", below[0], tail.size(), tailBelow,
                    java.util.Arrays.stream(below).filter(d -> !Double.isNaN(d)).max().orElse(Double.NaN),
                    tailBelow < NEAR_UNIFORM ? String.format(Locale.ROOT, " (under %.2f: the groups were nearly uniform "
                            + "random draws; the top-K that is evaluated rests on small logit differences; train policy "
                            + "--logit-scale sharpens the sampling)", NEAR_UNIFORM) : ""));
        }
        double[] topTail = tail.stream().mapToDouble(Update::topK).filter(d -> !Double.isNaN(d)).toArray();
        if (topTail.length > 0) {
            sb.append(String.format(Locale.ROOT, "deterministic top-K reward (last %d updates): %.3f against the sampled "
                    + "groups' %.3f%n", topTail.length, java.util.Arrays.stream(topTail).average().orElse(Double.NaN),
                    tail.stream().filter(u -> !Double.isNaN(u.topK())).mapToDouble(Update::reward).average()
                            .orElse(Double.NaN)));
        }
        int k = updates.get(updates.size() - 1).budget();
        double lastSupport = Math.exp(updates.get(updates.size() - 1).entropy());
        sb.append(String.format(Locale.ROOT, "effective support exp(entropy): first %.0f, last %.0f tokens%s%n",
                Math.exp(updates.get(0).entropy()), lastSupport,
                k < 0 ? "" : String.format(Locale.ROOT, " against a budget K = %d (%s)", k, lastSupport < k
                        ? "below K: the policy concentrates on fewer tokens than it keeps"
                        : "above K: the policy still spreads its probability over more tokens than it keeps")));
        double maxOff = updates.stream().mapToDouble(Update::ratio).filter(d -> !Double.isNaN(d))
                .map(d -> Math.abs(d - 1)).max().orElse(Double.NaN);
        sb.append(Double.isNaN(maxOff) ? "PPO ratio at the first epoch: not in this log\n"
                : String.format(Locale.ROOT, "PPO ratio at the first epoch: within %.1e of 1%n", maxOff));
        if (!validation.isEmpty()) {
            JsonNode first = validation.get(0), last = validation.get(validation.size() - 1), best = best(validation);
            sb.append(String.format(Locale.ROOT, "validation (top-%d on %d sets, %d scores): %.3f at update %d, %.3f at "
                    + "update %d; best %.3f +- %.3f at update %d (kept in best/)%n", last.path("k").asInt(),
                    last.path("sets").asInt(), validation.size(), first.path("mean").asDouble(),
                    first.path("step").asLong(), last.path("mean").asDouble(), last.path("step").asLong(),
                    best.path("mean").asDouble(), best.path("ci95").asDouble(), best.path("step").asLong()));
        }
        double[] turn = probeTurnover();
        if (Arrays.stream(turn).allMatch(Double::isNaN)) {
            sb.append("top-K turnover on the fixed probe: not in this log (train policy logs probe_top_k; grpo runs and "
                    + "older logs do not)\n");
        } else {
            int worst = head.size(); // the first updates break the untrained policy's ties: not a turn worth naming
            for (int i = head.size(); i < turn.length; i++) {
                worst = !Double.isNaN(turn[i]) && (Double.isNaN(turn[worst]) || turn[i] > turn[worst]) ? i : worst;
            }
            double[] drift = probeDrift();
            sb.append(String.format(Locale.ROOT, "top-K turnover on the fixed probe (share of its tokens replaced since "
                    + "the previous update): first %d updates %.3f, last %d %.3f, largest after the first %d %s; "
                    + "replaced since the start: %.3f at the end%n", head.size(), meanOf(turn, 0, head.size()),
                    tail.size(), meanOf(turn, turn.length - tail.size(), turn.length), head.size(),
                    worst < turn.length && !Double.isNaN(turn[worst]) ? String.format(Locale.ROOT, "%.3f at update %d",
                            turn[worst], updates.get(worst).step()) : "-", drift[drift.length - 1]));
        }
        double[] enrich = updates.stream().mapToDouble(Update::subjectEnrichment).toArray();
        if (!Arrays.stream(enrich).allMatch(Double::isNaN)) {
            Update last = updates.get(updates.size() - 1), held = subjectLostSince();
            sb.append(String.format(Locale.ROOT, "subject kept by the top-K on the fixed probe: %.0f %% of its tokens at "
                    + "the last update (%.1fx the history's %.0f %%, what a random selection keeps; first update "
                    + "%.1fx, mean of the last %d %.1fx)%s%n", 100 * last.probeOnSubject(), last.subjectEnrichment(),
                    100 * last.probeHistoryOnSubject(), enrich[0], tail.size(),
                    meanOf(enrich, enrich.length - tail.size(), enrich.length), held == null ? ""
                            : String.format(Locale.ROOT, "; LOST since %.1fx at update %d (the identity reward needs "
                            + "the subject; both weak runs of the shipped command ended so, but so did two runs that "
                            + "were fine on test: one transition is a hint, validation decides)",
                            held.subjectEnrichment(), held.step())));
        }
        double ov = meanOverlap();
        sb.append(Double.isNaN(ov) ? "overlap within groups: not in this log (members' chosen tokens are logged since "
                + "issue 11)\n" : String.format(Locale.ROOT, "overlap within groups (mean pairwise Jaccard): %.2f%n", ov));
        if (warnings.isEmpty()) {
            sb.append("no warnings\n");
        } else {
            for (String w : warnings) {
                sb.append("WARNING: ").append(w).append('\n');
            }
        }
        return sb.toString();
    }

    /**
     * Writes {@code audit.md} and its PNG plots (rewards, spread, entropy; the distance from uniform, overlap, the
     * probe's turnover and subject enrichment, and validation when logged) into {@code dir}; returns the path of
     * {@code audit.md}.
     */
    public Path write(Path dir) {
        try {
            Files.createDirectories(dir);
            List<String> plots = new ArrayList<>();
            double[] x = updates.stream().mapToDouble(Update::index).toArray();
            XYChart rewards = chart("reward components (group mean)", "value");
            XYChart spread = chart("reward spread within groups (std)", "std");
            for (String c : all()) {
                rewards.addSeries(c, x, updates.stream().mapToDouble(u -> u.mean().get(c)).toArray());
                spread.addSeries(c, x, updates.stream().mapToDouble(u -> u.spread().get(c)).toArray());
            }
            rewards.addSeries("total", x, updates.stream().mapToDouble(Update::reward).toArray());
            plots.add(save(rewards, dir, "audit-rewards"));
            plots.add(save(spread, dir, "audit-spread"));
            XYChart ent = chart("policy entropy", "entropy (nats)");
            ent.addSeries("entropy", x, updates.stream().mapToDouble(Update::entropy).toArray());
            int budget = updates.get(updates.size() - 1).budget();
            if (budget > 0) {
                double[] logK = new double[x.length];
                java.util.Arrays.fill(logK, Math.log(budget));
                ent.addSeries("log K (K = " + budget + ")", x, logK);
            }
            plots.add(save(ent, dir, "audit-entropy"));
            if (updates.stream().allMatch(u -> u.candidates() > 0)) {
                // the entropy swings with the number of candidates; its distance from the maximum does not
                XYChart gap = chart("sampling: entropy below uniform", "ln candidates - entropy (nats)");
                gap.addSeries("below uniform", x, updates.stream().mapToDouble(Update::belowUniform).toArray());
                plots.add(save(gap, dir, "audit-uniform"));
            }
            if (!Double.isNaN(meanOverlap())) {
                XYChart ov = chart("overlap of the selections within a group", "mean pairwise Jaccard");
                ov.addSeries("overlap", x, updates.stream().mapToDouble(u -> Double.isNaN(u.overlap()) ? 0 : u.overlap())
                        .toArray());
                plots.add(save(ov, dir, "audit-overlap"));
            }
            double[] turn = probeTurnover();
            if (!Arrays.stream(turn).allMatch(Double::isNaN)) {
                XYChart pr = chart("the policy's top-K on a fixed probe", "share of its tokens replaced");
                pr.addSeries("since the previous update", x, Arrays.stream(turn).map(d -> Double.isNaN(d) ? 0 : d)
                        .toArray());
                pr.addSeries("since the first update", x, Arrays.stream(probeDrift()).map(d -> Double.isNaN(d) ? 0 : d)
                        .toArray());
                plots.add(save(pr, dir, "audit-probe"));
            }
            double[] enrich = updates.stream().mapToDouble(Update::subjectEnrichment).toArray();
            if (!Arrays.stream(enrich).allMatch(Double::isNaN)) {
                XYChart sub = chart("subject kept by the top-K on the fixed probe", "share on the subject / history's");
                sub.addSeries("top-K", x, Arrays.stream(enrich).map(d -> Double.isNaN(d) ? 0 : d).toArray());
                double[] one = new double[x.length];
                Arrays.fill(one, 1);
                sub.addSeries("a random selection", x, one);
                plots.add(save(sub, dir, "audit-subject"));
            }
            if (!validation.isEmpty()) { // x: the update after which the policy was scored (resumes included)
                JsonNode last = validation.get(validation.size() - 1);
                XYChart val = chart("validation: hybrid reward of the policy's top-K on first switches (± 95 %)",
                        "hybrid reward");
                val.addSeries("top-" + last.path("k").asInt() + " on " + last.path("sets").asInt() + " sets",
                        validation.stream().mapToDouble(v -> v.path("step").asDouble()).toArray(),
                        validation.stream().mapToDouble(v -> v.path("mean").asDouble()).toArray(),
                        validation.stream().mapToDouble(v -> v.path("ci95").asDouble()).toArray());
                plots.add(save(val, dir, "audit-validation"));
            }
            StringBuilder md = new StringBuilder("# GRPO reward audit\n\n");
            md.append("Run log: `").append(log.toAbsolutePath()).append("`  \nWritten by `inflvg audit` at ")
                    .append(java.time.Instant.now()).append(".\n\n## Warnings\n\n");
            if (warnings.isEmpty()) {
                md.append("None: no constant component, most groups have spread, no early entropy collapse, no component "
                        + "rising while another falls.\n");
            }
            for (String w : warnings) {
                md.append("- ").append(w).append('\n');
            }
            md.append("\n## Summary\n\n```\n").append(summary()).append("```\n\n## Plots\n\n");
            for (String p : plots) {
                md.append("![").append(p).append("](").append(p).append(")\n\n");
            }
            md.append("x axis: update index in log order. Thresholds: constant = range below ").append(CONSTANT_RANGE)
                    .append("; most groups = over ").append((int) (100 * MOST_GROUPS)).append(" %; collapse = entropy "
                    + "below ").append(COLLAPSE_SHARE).append(" of its first value within the first third of a policy's "
                    + "updates; trends = |t| >= ").append(TREND_T).append(" and a change of at least ")
                    .append(TREND_MIN_CHANGE).append(" over at least ").append(TREND_MIN_UPDATES).append(" updates.\n");
            Path out = dir.resolve("audit.md");
            Files.writeString(out, md.toString());
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static XYChart chart(String title, String y) {
        XYChart c = new XYChartBuilder().width(720).height(400).title(title).xAxisTitle("update").yAxisTitle(y).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE).setMarkerSize(3);
        return c;
    }

    private static String save(XYChart c, Path dir, String name) throws IOException {
        BitmapEncoder.saveBitmap(c, dir.resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
        return name + ".png";
    }

    @Override
    public String toString() {
        return "Audit[" + log + ": " + updates.size() + " updates, " + warnings.size() + " warning"
                + (warnings.size() == 1 ? "" : "s") + "]";
    }
}
