package org.inflvg.kernel;

import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;
import tech.tablesaw.api.Table;

import java.awt.image.RenderedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;

/**
 * How values look in a notebook, beyond jjava's built-in images ({@code RenderedImage} to PNG) and text: Tablesaw
 * tables as HTML, XChart charts as PNG, and anything {@link Displayable}.
 */
final class Renderers {

    /** Like Tablesaw's own {@code toString()}: tables longer than this show their first and last half of it. */
    static final int TABLE_ROWS_SHOWN = 20;

    private Renderers() {
    }

    static void registerAll(Renderer renderer) {
        renderer.createRegistration(Displayable.class)
                .preferring(MIMEType.TEXT_HTML, MIMEType.IMAGE_PNG)
                .register((value, context) -> {
                    String html = value.displayHtml();
                    if (html != null) {
                        context.renderIfRequested(MIMEType.TEXT_HTML, () -> html);
                    }
                    byte[] png = value.displayPng();
                    if (png != null) {
                        context.renderIfRequested(MIMEType.IMAGE_PNG, () -> Base64.getEncoder().encodeToString(png));
                    }
                });
        renderer.createRegistration(Table.class)
                .preferring(MIMEType.TEXT_HTML)
                .register((table, context) -> {
                    context.renderIfRequested(MIMEType.TEXT_HTML, () -> tableHtml(table));
                    context.renderIfRequested(MIMEType.TEXT_PLAIN, () -> table.print());
                });
        renderer.createRegistration(Chart.class)
                .preferring(MIMEType.IMAGE_PNG)
                .register((chart, context) -> {
                    context.renderIfRequested(MIMEType.IMAGE_PNG, () -> chartPng(chart));
                    context.renderIfRequested(MIMEType.TEXT_PLAIN, () -> chart.getClass().getSimpleName()
                            + (chart.getTitle() == null || chart.getTitle().isEmpty() ? "" : " \"" + chart.getTitle() + "\"")
                            + " " + chart.getWidth() + "×" + chart.getHeight());
                });
        renderer.createRegistration(org.inflvg.video.Video.class)
                .preferring(MIMEType.TEXT_HTML)
                .register((video, context) -> {
                    context.renderIfRequested(MIMEType.TEXT_HTML, () -> videoHtml(video, ""));
                    context.renderIfRequested(MIMEType.TEXT_PLAIN, video::toString);
                });
        renderer.createRegistration(org.inflvg.Scene.class)
                .preferring(MIMEType.TEXT_HTML)
                .register((scene, context) -> {
                    context.renderIfRequested(MIMEType.TEXT_HTML, () -> videoHtml(scene.video(), escape(scene.toString())
                            + (scene.selection() == null ? "" : "<br>kept per history frame: "
                            + java.util.Arrays.toString(scene.selection().keptPerFrame()))));
                    context.renderIfRequested(MIMEType.TEXT_PLAIN, scene::toString);
                });
        renderer.createRegistration(org.inflvg.grpo.GrpoStep.class)
                .preferring(MIMEType.TEXT_HTML)
                .register((step, context) -> {
                    context.renderIfRequested(MIMEType.TEXT_HTML, () -> "<pre>" + escape(step.table()) + "</pre>");
                    context.renderIfRequested(MIMEType.TEXT_PLAIN, step::table);
                });
        renderer.createRegistration(org.inflvg.ReplayResult.class)
                .preferring(MIMEType.TEXT_HTML)
                .register((replay, context) -> {
                    context.renderIfRequested(MIMEType.TEXT_HTML, () -> videoHtml(replay.grid(),
                            "one row per alternative") + "<pre>" + escape(replay.table()) + "</pre>");
                    context.renderIfRequested(MIMEType.TEXT_PLAIN, replay::table);
                });
        renderer.createRegistration(org.inflvg.grpo.Audit.class)
                .preferring(MIMEType.TEXT_HTML)
                .register((audit, context) -> {
                    context.renderIfRequested(MIMEType.TEXT_HTML, () -> "<pre>" + escape(audit.summary()) + "</pre>");
                    context.renderIfRequested(MIMEType.TEXT_PLAIN, audit::summary);
                });
        // jjava draws images as PNG; its text form is the image's long toString, so give a short one
        renderer.createRegistration(RenderedImage.class)
                .preferring(MIMEType.TEXT_PLAIN)
                .register((image, context) -> context.renderIfRequested(MIMEType.TEXT_PLAIN,
                        () -> image.getClass().getSimpleName() + " " + image.getWidth() + "×" + image.getHeight()));
    }

    /**
     * A clip inline: an HTML5 video (H.264) with the animated GIF as its fallback, scaled up to at least 256 pixels
     * wide with nearest neighbour so 32x32 frames stay crisp.
     */
    static String videoHtml(org.inflvg.video.Video video, String caption) {
        int k = Math.max(1, Math.min(16, 256 / Math.max(1, video.width())));
        org.inflvg.video.Video big = video.upscale(k);
        try {
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("inflvg-video");
            try {
                java.nio.file.Path gif = dir.resolve("v.gif"), mp4 = dir.resolve("v.mp4");
                big.save(gif);
                String gif64 = Base64.getEncoder().encodeToString(java.nio.file.Files.readAllBytes(gif));
                String img = "<img src=\"data:image/gif;base64," + gif64 + "\" style=\"image-rendering:pixelated\">";
                String body;
                try {
                    big.save(mp4);
                    String mp464 = Base64.getEncoder().encodeToString(java.nio.file.Files.readAllBytes(mp4));
                    body = "<video autoplay loop muted controls playsinline src=\"data:video/mp4;base64," + mp464 + "\">"
                            + img + "</video>";
                } catch (RuntimeException e) {
                    body = img; // no FFmpeg here: the GIF alone
                }
                return "<div>" + body + (caption.isEmpty() ? "" : "<div style=\"font-family:monospace\">" + caption
                        + "</div>") + "</div>";
            } finally {
                try (var files = java.nio.file.Files.list(dir)) {
                    files.forEach(f -> f.toFile().delete());
                }
                java.nio.file.Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not encode the video for display: " + e.getMessage(), e);
        }
    }

    static String chartPng(Chart<?, ?> chart) {
        try {
            return Base64.getEncoder().encodeToString(BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new UncheckedIOException("could not draw the chart as PNG: " + e.getMessage(), e);
        }
    }

    /** The table as HTML; a long one shows its first and last rows and says how many rows it left out. */
    static String tableHtml(Table table) {
        int rows = table.rowCount();
        int columns = table.columnCount();
        boolean cut = rows > TABLE_ROWS_SHOWN;
        int head = cut ? TABLE_ROWS_SHOWN / 2 : rows;
        StringBuilder html = new StringBuilder("<table class=\"inflvg-table\">");
        String name = table.name() == null ? "" : table.name();
        html.append("<caption style=\"text-align:left\">").append(escape(name)).append(name.isEmpty() ? "" : " · ")
                .append(rows).append(rows == 1 ? " row × " : " rows × ").append(columns)
                .append(columns == 1 ? " column" : " columns").append("</caption><thead><tr>");
        for (int c = 0; c < columns; c++) {
            html.append("<th title=\"").append(escape(table.column(c).type().name())).append("\">")
                    .append(escape(table.column(c).name())).append("</th>");
        }
        html.append("</tr></thead><tbody>");
        for (int r = 0; r < head; r++) {
            row(html, table, r);
        }
        if (cut) {
            int more = rows - TABLE_ROWS_SHOWN;
            html.append("<tr><td colspan=\"").append(Math.max(1, columns)).append("\" style=\"text-align:center\">… ")
                    .append(more).append(more == 1 ? " more row" : " more rows").append(" …</td></tr>");
            for (int r = rows - TABLE_ROWS_SHOWN / 2; r < rows; r++) {
                row(html, table, r);
            }
        }
        return html.append("</tbody></table>").toString();
    }

    private static void row(StringBuilder html, Table table, int r) {
        html.append("<tr>");
        for (int c = 0; c < table.columnCount(); c++) {
            html.append("<td>").append(escape(table.getString(r, c))).append("</td>");
        }
        html.append("</tr>");
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            switch (ch) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                default -> out.append(ch);
            }
        }
        return out.toString();
    }
}
