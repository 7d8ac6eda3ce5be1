/**
 * Frames and their files: {@link org.inflvg.video.Video} (frames x height x width x RGB in [0, 1]) with .mp4 (H.264
 * through JavaCV's FFmpeg), animated .gif and .png strips, and frame metrics. The ground floor with {@code world}.
 */
package org.inflvg.video;
