package org.inflvg.model;

/**
 * Every size of TinyDiT in one record. Derived sizes (tokens per frame, per chunk, patch dimension) are methods.
 *
 * @param frameSize      frame height and width in pixels
 * @param patch          patch size in pixels (tokens are patch x patch x 3 pixels)
 * @param chunkFrames    frames per chunk (the unit of autoregression)
 * @param chunksPerScene chunks per scene (scene frames = chunkFrames x chunksPerScene)
 * @param dim            transformer width
 * @param depth          number of DiT blocks
 * @param heads          attention heads
 * @param textLayers     transformer layers of the text encoder
 * @param textLength     text tokens per prompt (prompts are padded to it)
 * @param maxFrames      largest frame position the model knows (9 scenes = 72 frames)
 * @param denoiseSteps   Euler steps per chunk when generating
 * @param guidance       classifier-free guidance weight (1 = conditional only, no extra pass)
 * @param convChannels   0 (the shipped model): tokens in and out of the transformer are linear maps of their own patch.
 *                       C &gt; 0: a convolutional stem and head of C channels add locality across patch borders — the
 *                       input frames go through a 3×3 convolution (3 → C, GELU) whose patches are added to the token
 *                       embedding, and the output is also predicted as C features per pixel refined by a 3×3
 *                       convolution (C → 3) and added to the per-patch output (both added paths start at zero). Absent
 *                       in older config files, which read as 0.
 */
public record ModelConfig(int frameSize, int patch, int chunkFrames, int chunksPerScene, int dim, int depth,
                          int heads, int textLayers, int textLength, int maxFrames, int denoiseSteps,
                          double guidance, int convChannels) {

    /** A configuration without the convolutional stem and head ({@code convChannels} 0). */
    public ModelConfig(int frameSize, int patch, int chunkFrames, int chunksPerScene, int dim, int depth, int heads,
                       int textLayers, int textLength, int maxFrames, int denoiseSteps, double guidance) {
        this(frameSize, patch, chunkFrames, chunksPerScene, dim, depth, heads, textLayers, textLength, maxFrames,
                denoiseSteps, guidance, 0);
    }

    /** The embedded TinyDiT: 32x32 frames, 4x4 patches, chunks of 2 frames, scenes of 4 chunks, width 128, 4 blocks. */
    public static final ModelConfig TINY = new ModelConfig(32, 4, 2, 4, 128, 4, 4, 2, 8, 80, 4, 1.0);

    /**
     * The larger TinyDiT for GPU hosts ({@code train base --size large}): 64x64 frames (4x4 patches, 512 tokens per
     * chunk), scenes of 6 chunks (12 frames), width 256, 8 blocks of 8 heads; 120 frame positions hold 9 scenes + margin.
     * About 13.6 M parameters against the tiny one's 1.96 M; the same commands train and evaluate it.
     */
    public static final ModelConfig LARGE = new ModelConfig(64, 4, 2, 6, 256, 8, 8, 2, 8, 120, 4, 1.0);

    public ModelConfig {
        check(frameSize >= 8 && frameSize <= 512, "frameSize must be in [8, 512], got " + frameSize);
        check(patch >= 1 && frameSize % patch == 0, "patch must divide frameSize=" + frameSize + ", got " + patch);
        check(chunkFrames >= 1 && chunkFrames <= 16, "chunkFrames must be in [1, 16], got " + chunkFrames);
        check(chunksPerScene >= 1 && chunksPerScene <= 64, "chunksPerScene must be in [1, 64], got " + chunksPerScene);
        check(dim >= 8 && heads >= 1 && dim % heads == 0, "dim must be a multiple of heads, got dim=" + dim
                + " heads=" + heads);
        check((dim / heads) % 4 == 0, "head dimension dim/heads must be a multiple of 4 (2-D RoPE), got " + dim / heads);
        check(depth >= 1 && depth <= 64, "depth must be in [1, 64], got " + depth);
        check(textLayers >= 0 && textLayers <= 8, "textLayers must be in [0, 8], got " + textLayers);
        check(textLength >= 2 && textLength <= 64, "textLength must be in [2, 64], got " + textLength);
        check(maxFrames >= chunkFrames * chunksPerScene, "maxFrames must hold at least one scene ("
                + chunkFrames * chunksPerScene + " frames), got " + maxFrames);
        check(denoiseSteps >= 1 && denoiseSteps <= 1000, "denoiseSteps must be in [1, 1000], got " + denoiseSteps);
        check(guidance >= 0 && guidance <= 20, "guidance must be in [0, 20], got " + guidance);
        check(convChannels >= 0 && convChannels <= 256, "convChannels must be in [0, 256], got " + convChannels);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    public int grid() {
        return frameSize / patch;
    }

    public int tokensPerFrame() {
        return grid() * grid();
    }

    public int tokensPerChunk() {
        return tokensPerFrame() * chunkFrames;
    }

    public int patchDim() {
        return patch * patch * 3;
    }

    public int headDim() {
        return dim / heads;
    }

    public int sceneFrames() {
        return chunkFrames * chunksPerScene;
    }

    public ModelConfig withDenoiseSteps(int n) {
        return new ModelConfig(frameSize, patch, chunkFrames, chunksPerScene, dim, depth, heads, textLayers,
                textLength, maxFrames, n, guidance, convChannels);
    }

    public ModelConfig withGuidance(double g) {
        return new ModelConfig(frameSize, patch, chunkFrames, chunksPerScene, dim, depth, heads, textLayers,
                textLength, maxFrames, denoiseSteps, g, convChannels);
    }

    public ModelConfig withWidth(int dim, int depth, int heads) {
        return new ModelConfig(frameSize, patch, chunkFrames, chunksPerScene, dim, depth, heads, textLayers,
                textLength, maxFrames, denoiseSteps, guidance, convChannels);
    }

    /** The same sizes with a convolutional stem and head of {@code c} channels (0: none). */
    public ModelConfig withConv(int c) {
        return new ModelConfig(frameSize, patch, chunkFrames, chunksPerScene, dim, depth, heads, textLayers,
                textLength, maxFrames, denoiseSteps, guidance, c);
    }
}
