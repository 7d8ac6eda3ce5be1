package org.inflvg.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.inflvg.model.BaseTrainer;
import org.inflvg.model.ModelConfig;
import org.inflvg.model.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code inflvg train ...}: trains the models we ship. */
@Command(name = "train", description = "Train the shipped models from a seed.",
        subcommands = {TrainCommand.Base.class, TrainCommand.Policy.class, TrainCommand.RewardsCmd.class,
            TrainSamplesCommand.class})
public final class TrainCommand implements Runnable {

    @Override
    public void run() {
        throw new BadInputException("say what to train: ./inflvg train base|rewards|policy (e.g. ./inflvg train base "
                + "--steps 6000 --out data/tinydit)");
    }

    /** {@code inflvg train policy}: the amortised context policy, GRPO across the EPS train split. */
    @Command(name = "policy", mixinStandardHelpOptions = true,
            description = "Train the amortised context policy with GRPO across the EPS train split. Resumes from --out.")
    public static final class Policy implements Callable<Integer> {
        @picocli.CommandLine.Mixin HostOptions host;
        @Option(names = "--steps", defaultValue = "200", description = "GRPO updates (default ${DEFAULT-VALUE})")
        int steps;
        @Option(names = "--sets", defaultValue = "200", description = "train-split prompt sets to cycle through")
        int sets;
        @Option(names = "--group", description = "rollouts per group G (default: the host's batch.group, else 8)")
        Integer group;
        @Option(names = "--budget", defaultValue = "128", description = "kept tokens K")
        int budget;
        @Option(names = "--lr", defaultValue = "1e-4", description = "learning rate (default ${DEFAULT-VALUE})")
        double lr;
        @Option(names = "--seed", defaultValue = "0", description = "seed of the prompt sets, the draws and (unless "
                + "--init-seed) the policy's initial weights (default ${DEFAULT-VALUE})")
        long seed;
        @Option(names = "--init-seed", paramLabel = "N", description = "seed of the policy's initial weights alone "
                + "(default: --seed); with it, two runs can share their data and draws and differ in the start only")
        Long initSeed;
        @Option(names = "--accumulate", defaultValue = "1", description = "groups per optimiser step (gradient accumulation; default ${DEFAULT-VALUE})")
        int accumulate;
        @Option(names = "--ref-kl", defaultValue = "0", description = "weight of the KL to the policy as it started (default ${DEFAULT-VALUE}: off)")
        double refKl;
        @Option(names = "--history", defaultValue = "1", description = "longest history in scenes: update i trains on "
                + "the switch into scene 1 + (i + i / sets) mod N, the earlier scenes generated with the policy's own top-K "
                + "(default ${DEFAULT-VALUE}: first switches only; 5 covers every switch of a 6-scene CsVBench story)")
        int history;
        @Option(names = "--text-prior", paramLabel = "W", defaultValue = "0", description = "add a learned multiple, "
                + "starting at W, of the standardised text:K score to the policy's logits, so the untrained policy ranks as "
                + "text:K does and GRPO starts there (default ${DEFAULT-VALUE}: off, the network alone, uniform when "
                + "untrained; 1 is a soft start, 4 is nearly deterministic)")
        double textPrior;
        @Option(names = "--logit-scale", paramLabel = "S", defaultValue = "1", description = "multiply the network's "
                + "logits by S: the top-K is unchanged, the sampling distribution GRPO trains on sharpens about S times "
                + "faster (default ${DEFAULT-VALUE}, the shipped policy; e.g. 10)")
        double logitScale;
        @Option(names = "--centre-tokens", description = "centre the features the policy's last layers read across "
                + "the candidates (an experiment: a component common to every token cannot crowd out what tells them "
                + "apart; off for the shipped policy; data/README.md)")
        boolean centreTokens;
        @Option(names = "--clip-grad", paramLabel = "N", defaultValue = "10", description = "clip each update's "
                + "gradient to global norm N (default ${DEFAULT-VALUE}, the official value and the shipped policy's; the "
                + "log's grad_norm is the norm before the clip)")
        double clipGrad;
        @Option(names = "--lr-floor", paramLabel = "F", defaultValue = "1", description = "decay the learning rate "
                + "along a half cosine from --lr at the first update to F x --lr at the last (default ${DEFAULT-VALUE}: "
                + "constant, as the shipped policy was trained; e.g. 0.1)")
        double lrFloor;
        @Option(names = "--validate-every", paramLabel = "N", defaultValue = "100", description = "score the policy's "
                + "top-K on validation-split first switches every N updates and after the last, and keep the best in "
                + "<out>/best/ (default ${DEFAULT-VALUE}; 0: off)")
        int validateEvery;
        @Option(names = "--validate-sets", paramLabel = "V", defaultValue = "10", description = "validation prompt "
                + "sets, one seed each (default ${DEFAULT-VALUE})")
        int validateSets;
        @Option(names = "--validate-k", paramLabel = "K", description = "kept tokens at validation (default: --budget)")
        Integer validateK;
        @Option(names = "--model", description = "base model folder (default: data/tinydit)")
        Path model;
        @Option(names = "--out", description = "output folder (default: the host file's policy folder, else data/policy)")
        Path out;

        @Override
        public Integer call() throws java.io.IOException {
            if (steps < 1 || sets < 1) {
                throw new BadInputException("--steps and --sets must be at least 1");
            }
            if (!(textPrior >= 0 && textPrior <= 100)) {
                throw new BadInputException("--text-prior must be 0 (off) or a starting weight in (0, 100], got "
                        + textPrior + "; e.g. --text-prior 1");
            }
            checkLogitScale(logitScale);
            checkClipGrad(clipGrad);
            if (!(lrFloor > 0 && lrFloor <= 1)) {
                throw new BadInputException("--lr-floor must be in (0, 1] (1: constant learning rate), got " + lrFloor
                        + "; e.g. --lr-floor 0.1 ends at a tenth of --lr");
            }
            if (history < 1 || history > 8) {
                throw new BadInputException("--history must be in [1, 8] scenes, got " + history
                        + " (1: first switches only; 5: every switch of a 6-scene story)");
            }
            if (validateEvery < 0 || validateSets < 1 || validateSets > 1000) {
                throw new BadInputException("--validate-every must be >= 0 (0: off) and --validate-sets in [1, 1000], got "
                        + validateEvery + " and " + validateSets + "; e.g. --validate-every 100 --validate-sets 10");
            }
            int vk = validateK != null ? validateK : budget;
            if (vk < 1 || vk > 4096) {
                throw new BadInputException("--validate-k must be in [1, 4096] kept tokens, got " + vk);
            }
            host.check(model);
            Path out = this.out != null ? this.out : host.host() != null ? host.host().policyDir() : Path.of("data/policy");
            var eps = org.inflvg.world.EpsGenerator.generate(org.inflvg.world.Split.TRAIN, sets, history + 1, seed);
            var cfg = org.inflvg.grpo.GrpoConfig.DEFAULT.withGroupSize(host.group(group)).withLearningRate(lr).withSeed(seed)
                    .withAccumulation(accumulate).withReferenceKl(refKl).withLrFloor(lrFloor).withClipGrad(clipGrad);
            try (org.inflvg.InfLVG lvg = host.load(model)) {
                var policy = lvg.newPolicy(org.inflvg.policy.PolicyConfig.forModel(lvg.model().config()).withBudget(budget)
                        .withTextPrior(textPrior).withLogitScale(logitScale).withCentreTokens(centreTokens),
                        initSeed != null ? initSeed : seed);
                if (java.nio.file.Files.isRegularFile(out.resolve("state.json"))) {
                    org.inflvg.grpo.PolicyTraining.checkSameConfig(out, policy.config());   // before any progress bar
                }
                trainPolicy(lvg, policy, out, eps, cfg, vk);
            }
            return 0;
        }

        /** --logit-scale of train policy and grpo: in (0, 1000]. */
        static void checkLogitScale(double s) {
            if (!(s > 0 && s <= 1000)) {
                throw new BadInputException("--logit-scale must be in (0, 1000] (1: the network's logits as they are), "
                        + "got " + s + "; e.g. --logit-scale 10");
            }
        }

        /** --clip-grad of train policy and grpo: in (0, {@link org.inflvg.grpo.GrpoConfig#MAX_CLIP_GRAD}]. */
        static void checkClipGrad(double c) {
            if (!(c > 0 && c <= org.inflvg.grpo.GrpoConfig.MAX_CLIP_GRAD)) {
                throw new BadInputException("--clip-grad must be in (0, " + (long) org.inflvg.grpo.GrpoConfig.MAX_CLIP_GRAD
                        + "] (the largest gradient norm an update keeps), got " + c + "; e.g. --clip-grad 10 (the "
                        + "default), or --clip-grad 100 with --logit-scale 10");
            }
        }

        private void trainPolicy(org.inflvg.InfLVG lvg, org.inflvg.policy.ContextPolicy policy, Path out,
                                 java.util.List<org.inflvg.world.Eps> eps, org.inflvg.grpo.GrpoConfig cfg, int vk)
                throws java.io.IOException {
            try (BenchCommand.Bar bar = BenchCommand.bar("train policy", steps)) {
                ProgressBar pb = bar.pb();
                var validation = validateEvery == 0 ? null : new org.inflvg.grpo.PolicyTraining.Validation(
                        org.inflvg.world.EpsGenerator.generate(org.inflvg.world.Split.VAL, validateSets, 2, 0),
                        new long[] {0}, validateEvery, vk, lvg.reward());
                var last = org.inflvg.grpo.PolicyTraining.amortised(lvg, policy, lvg.reward(),
                        cfg, eps, steps, out, 10, history, validation, st -> {
                            pb.stepTo(st.step());
                            pb.setExtraMessage(String.format("reward %.3f", st.meanReward()));
                        });
                bar.close(); // draws the bar one last time, before the results
                System.out.println(last == null ? "nothing to do: already trained to " + steps + " steps" : last.table());
                System.out.println("policy in " + out.toAbsolutePath());
                String summary = validation == null ? null : org.inflvg.grpo.PolicyTraining.validationSummary(out);
                if (summary != null) {
                    System.out.println(summary);
                }
            }
        }
    }

    /** {@code inflvg train base}: TinyDiT on single-scene SpriteWorld clips. */
    @Command(name = "base", mixinStandardHelpOptions = true,
            description = "Train TinyDiT on single-scene SpriteWorld clips (teacher forcing). Resumes from --out's checkpoint. "
                    + "With --config, the host file's device, size, model folder (as --out) and batch.train are the defaults.")
    public static final class Base implements Callable<Integer> {
        @picocli.CommandLine.Mixin HostOptions host;
        @Option(names = "--steps", description = "total optimiser steps (default ${DEFAULT-VALUE})", defaultValue = "6000")
        int steps;
        @Option(names = "--out", description = "output folder (default: the host file's model folder, else data/tinydit; "
                + "data/tinydit-large for --size large)")
        Path out;
        @Option(names = "--batch", description = "clips per step (default: the host file's batch.train, else 8)")
        Integer batch;
        @Option(names = "--seed", defaultValue = "0", description = "seed (default ${DEFAULT-VALUE})")
        long seed;
        @Option(names = "--lr", defaultValue = "1.5e-3", description = "peak learning rate (default ${DEFAULT-VALUE})")
        double lr;
        @Option(names = "--checkpoint-every", defaultValue = "50", description = "steps between checkpoints")
        int checkpointEvery;
        @Option(names = "--conv", description = "channels of a convolutional stem and head that add locality across "
                + "patch borders (default 0: none, the shipped model; 16 made data/tinydit-conv); another value is another "
                + "configuration: train it into a new --out folder")
        Integer conv;
        @Option(names = "--samples-every", defaultValue = "250", description = "write a sample sheet (PNG: continuation, "
                + "scene switch, formation from noise; fixed prompts and noise) to <out>/samples every N steps, at a "
                + "checkpoint; 0: never (default ${DEFAULT-VALUE})")
        int samplesEvery;
        @Option(names = "--size", description = "model size: tiny (the shipped one; default, or the host file's size), "
                + "large (64x64 frames, width 256, 8 blocks: for a GPU host, data/hosts/gpu-large.json) or micro (a very "
                + "small one for tests)")
        String size;
        @Option(names = "--init-from", paramLabel = "DIR", description = "start from a trained model folder's weights "
                + "(e.g. data/tinydit) with a fresh optimiser, warm-up and cosine over --steps, instead of from random "
                + "weights: a continuation into a new --out folder (same size and --conv; use another --seed for new "
                + "clips); ignored when --out already holds a checkpoint (the run resumes)")
        Path initFrom;
        @Option(names = "--high-noise-share", paramLabel = "F", defaultValue = "0.5", description = "share of training "
                + "flow times drawn uniformly from [0.7, 1], near pure noise, where a chunk's content must come from its "
                + "context; the rest are logit-normal (default ${DEFAULT-VALUE}, the shipped model's)")
        double highNoiseShare;

        @Override
        public Integer call() {
            var h = host.host();
            if (size != null && h != null && h.size() != null && !size.equals(h.size())) {
                throw new BadInputException("--size " + size + " but the host file " + host.config + " names size "
                        + h.size() + " (its model folder " + h.model() + "); leave --size out, or use a host file "
                        + "for that size");
            }
            String size = this.size != null ? this.size : h != null && h.size() != null ? h.size() : "tiny";
            ModelConfig cfg = switch (size) {
                case "tiny" -> ModelConfig.TINY;
                case "large" -> ModelConfig.LARGE;
                case "micro" -> ModelConfig.TINY.withWidth(32, 1, 2);
                default -> throw new BadInputException("--size must be tiny, large or micro, got '" + size + "'");
            };
            int conv = this.conv != null ? this.conv : cfg.convChannels();
            if (conv < 0 || conv > 256) {
                throw new BadInputException("--conv must be 0 (no convolutional stem and head) or a channel count in "
                        + "[1, 256], got " + conv);
            }
            cfg = cfg.withConv(conv);
            if (samplesEvery < 0 || (samplesEvery > 0 && checkpointEvery > 0 && samplesEvery % checkpointEvery != 0)) {
                throw new BadInputException("--samples-every must be 0 (never) or a multiple of --checkpoint-every ("
                        + checkpointEvery + "), got " + samplesEvery + "; samples are drawn at checkpoints");
            }
            int batch = this.batch != null ? this.batch : h != null ? h.batch().train() : 8;
            if (batch < 1 || batch > 256) {
                throw new BadInputException("--batch must be in [1, 256] clips per step, got " + batch);
            }
            ai.djl.Device device = host.djlDevice(null);
            // a large run never lands in the shipped tiny model's folder by default
            Path out = this.out != null ? this.out : h != null ? h.modelDir()
                    : Path.of(size.equals("large") ? "data/tinydit-large" : "data/tinydit");
            if (initFrom != null && !java.nio.file.Files.isRegularFile(initFrom.resolve(ModelFiles.CONFIG))) {
                throw new BadInputException("--init-from " + initFrom + " is not a model folder (no config.json); give "
                        + "one that train base wrote, e.g. --init-from data/tinydit");
            }
            if (initFrom != null && initFrom.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
                throw new BadInputException("--init-from " + initFrom + " is the --out folder: its weights would be "
                        + "overwritten at the first checkpoint; train into a new --out folder and copy it over when done");
            }
            if (!(highNoiseShare >= 0 && highNoiseShare <= 1)) {
                throw new BadInputException("--high-noise-share must be in [0, 1] (a share of the flow times), got "
                        + highNoiseShare + "; e.g. --high-noise-share 0.25");
            }
            BaseTrainer.Settings s = BaseTrainer.Settings.DEFAULT.withSteps(steps).withBatch(batch).withSeed(seed)
                    .withCheckpointEvery(checkpointEvery).withLr(lr, Math.min(100, Math.max(1, steps / 10)))
                    .withHighNoiseShare(highNoiseShare);
            long resumeFrom = BaseTrainer.resumeStep(out);
            System.out.println("training TinyDiT " + size + " for " + steps + " steps on " + device + " into "
                    + out.toAbsolutePath());
            try (ProgressBar pb = new ProgressBarBuilder().setTaskName("train base").setInitialMax(steps)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(2000).continuousUpdate()
                    .startsFrom(Math.min(steps, resumeFrom), java.time.Duration.ZERO).build()) {
                BaseTrainer trainer = new BaseTrainer(cfg, s, out, device);
                if (initFrom != null) {
                    if (resumeFrom > 0) {
                        System.out.println("--init-from " + initFrom + " is ignored: " + out + " holds a checkpoint, "
                                + "the run resumes from it");
                    } else {
                        trainer.initFrom(initFrom);
                        System.out.println("starting from the weights of " + initFrom.toAbsolutePath());
                    }
                }
                if (samplesEvery > 0) {
                    trainer.onCheckpoint(samplesEvery, (st, ema) -> org.inflvg.TrainingSamples.write(ema, out, st));
                }
                double loss = trainer.run(log -> {
                    pb.stepTo(log.step());
                    pb.setExtraMessage(String.format("loss %.4f  %.2f s/step%s", log.loss(), log.secondsPerStep(),
                            log.skippedSteps() > 0 ? "  skipped " + log.skippedSteps() : ""));
                });
                System.out.printf("done: loss %.4f, model in %s%n", loss, out.toAbsolutePath());
            }
            return 0;
        }
    }

    /** {@code inflvg train rewards}: identity encoder, alignment model and artifact score on SpriteWorld ground truth. */
    @Command(name = "rewards", mixinStandardHelpOptions = true,
            description = "Train the reward models (identity encoder, alignment model, artifact score) on SpriteWorld "
                    + "renders of train-split individuals, evaluate them on test-split ones. Resumes stage by stage from --out.")
    public static final class RewardsCmd implements Callable<Integer> {
        @Option(names = "--identity-steps", defaultValue = "1500", description = "identity encoder steps (default ${DEFAULT-VALUE})")
        int identitySteps;
        @Option(names = "--alignment-steps", defaultValue = "1500", description = "alignment model steps (default ${DEFAULT-VALUE})")
        int alignmentSteps;
        @Option(names = "--artifact-clips", defaultValue = "400", description = "clean clips to fit the artifact score (default ${DEFAULT-VALUE})")
        int artifactClips;
        @Option(names = "--eval-clips", defaultValue = "400", description = "test clips and pairs for the figures (default ${DEFAULT-VALUE})")
        int evalClips;
        @Option(names = "--seed", defaultValue = "0", description = "seed (default ${DEFAULT-VALUE})")
        long seed;
        @Option(names = "--out", description = "output folder (default: the host file's rewards folder, else data/rewards)")
        Path out;
        @picocli.CommandLine.Mixin HostOptions host;

        @Override
        public Integer call() {
            if (identitySteps < 0 || alignmentSteps < 0) {
                throw new BadInputException("--identity-steps and --alignment-steps must be >= 0, got " + identitySteps
                        + " and " + alignmentSteps);
            }
            if (artifactClips < 8 || evalClips < 8) {
                throw new BadInputException("--artifact-clips and --eval-clips must be at least 8, got " + artifactClips
                        + " and " + evalClips);
            }
            var settings = new org.inflvg.reward.RewardTrainer.Settings(identitySteps, alignmentSteps, artifactClips,
                    evalClips, seed);
            ai.djl.Device device = host.djlDevice(null);
            Path out = this.out != null ? this.out : host.host() != null ? host.host().rewardsDir() : Path.of("data/rewards");
            System.out.println("training the reward models on " + device + " into " + out.toAbsolutePath());
            ProgressBar[] bar = new ProgressBar[1];
            String[] stage = {""};
            try (var models = new org.inflvg.reward.RewardTrainer(settings, out, device).train((st, step, total, loss) -> {
                if (!st.equals(stage[0])) {
                    if (bar[0] != null) {
                        bar[0].close();
                    }
                    stage[0] = st;
                    bar[0] = new ProgressBarBuilder().setTaskName(st).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                            .setUpdateIntervalMillis(2000).continuousUpdate().build();
                }
                bar[0].stepTo(step);
                if (!Double.isNaN(loss)) {
                    bar[0].setExtraMessage(String.format("loss %.4f", loss));
                }
            })) {
                if (bar[0] != null) {
                    bar[0].close();
                }
                System.out.println(models.figures().toPrettyString());
                System.out.println("reward models in " + out.toAbsolutePath());
            }
            return 0;
        }
    }
}
