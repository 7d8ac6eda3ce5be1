package org.inflvg.kernel;

import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.awt.image.BufferedImage;
import java.util.Base64;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RenderersTest {

    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G'};

    private final Renderer renderer = new Renderer();

    RenderersTest() {
        org.dflib.jjava.jupyter.kernel.display.common.Image.registerAll(renderer);   // as BaseKernel does first
        Renderers.registerAll(renderer);
    }

    private static Table numbers(int rows) {
        return Table.create("numbers",
                IntColumn.create("n", IntStream.range(0, rows).toArray()),
                StringColumn.create("label", IntStream.range(0, rows).mapToObj(i -> i == 0 ? "<b>&" : "row" + i)
                        .toArray(String[]::new)));
    }

    @Test
    void aLongTableShowsHeadAndTailAndSaysHowManyRowsItLeftOut() {
        String html = Renderers.tableHtml(numbers(25));
        assertTrue(html.contains("25 rows × 2 columns"), html);
        assertTrue(html.contains("… 5 more rows …"), html);
        assertEquals(Renderers.TABLE_ROWS_SHOWN + 2, html.split("<tr>", -1).length - 1, "header + 20 rows + the note");
        assertTrue(html.contains("<td>9</td>") && html.contains("<td>15</td>") && !html.contains("<td>12</td>"), html);
        assertTrue(html.contains("&lt;b&gt;&amp;"), "cell text is escaped");
    }

    @Test
    void aShortTableShowsEveryRow() {
        String html = Renderers.tableHtml(numbers(3));
        assertFalse(html.contains("more row"), html);
        DisplayData data = renderer.render(numbers(3));
        assertNotNull(data.getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_HTML));
        assertTrue(String.valueOf(data.getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_PLAIN))
                .contains("numbers"));
    }

    @Test
    void chartsAndImagesRenderAsPng() {
        XYChart chart = new XYChartBuilder().width(200).height(120).title("t").build();
        chart.addSeries("s", new double[]{1, 2, 3}, new double[]{3, 1, 2});
        DisplayData chartData = renderer.render(chart);
        assertPng(chartData);
        assertEquals("XYChart \"t\" 200×120", chartData.getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_PLAIN));
        DisplayData imageData = renderer.render(new BufferedImage(4, 3, BufferedImage.TYPE_INT_RGB));
        assertPng(imageData);
        assertEquals("BufferedImage 4×3", imageData.getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_PLAIN));
    }

    @Test
    void displayableObjectsRenderThemselves() {
        Displayable both = new Displayable() {
            @Override
            public String displayHtml() {
                return "<i>hi</i>";
            }

            @Override
            public byte[] displayPng() {
                return new byte[]{(byte) 0x89, 'P', 'N', 'G'};
            }

            @Override
            public String toString() {
                return "both";
            }
        };
        DisplayData data = renderer.render(both);
        assertEquals("<i>hi</i>", data.getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_HTML));
        assertPng(data);
        assertEquals("both", data.getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_PLAIN));
        Displayable textOnly = new Displayable() {
            @Override
            public String toString() {
                return "plain";
            }
        };
        DisplayData plain = renderer.render(textOnly);
        assertFalse(plain.hasDataForType(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_HTML));
        assertEquals("plain", plain.getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.TEXT_PLAIN));
    }

    private static void assertPng(DisplayData data) {
        Object png = data.getData(org.dflib.jjava.jupyter.kernel.display.mime.MIMEType.IMAGE_PNG);
        assertNotNull(png, "has image/png");
        byte[] bytes = Base64.getDecoder().decode(png.toString());
        byte[] head = new byte[4];
        System.arraycopy(bytes, 0, head, 0, 4);
        assertArrayEquals(PNG_MAGIC, head);
    }
}
