package io.soma.streams.tools.forecast;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Draws actual vs one-day-ahead forecast with its 80 % interval, one panel per tenant (Java2D, PNG). */
public final class ForecastPlot {
    private static final int WIDTH = 1400;
    private static final int PANEL_HEIGHT = 300;
    private static final int MARGIN_LEFT = 90;
    private static final int MARGIN_RIGHT = 20;
    private static final int MARGIN_TOP = 34;
    private static final int MARGIN_BOTTOM = 30;
    private static final Color BAND = new Color(255, 165, 0, 90);
    private static final Color FORECAST = new Color(220, 90, 0);
    private static final Color ACTUAL = new Color(30, 60, 160);

    private ForecastPlot() {
    }

    public static void write(List<ServeGenForecastEvaluation.TenantScore> tenants, int windowsPerDay, Path png)
            throws IOException {
        BufferedImage image = new BufferedImage(WIDTH, PANEL_HEIGHT * tenants.size(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        for (int i = 0; i < tenants.size(); i++) {
            drawPanel(g, tenants.get(i), windowsPerDay, i * PANEL_HEIGHT);
        }
        g.dispose();
        ImageIO.write(image, "png", png.toFile());
    }

    private static void drawPanel(Graphics2D g, ServeGenForecastEvaluation.TenantScore t, int windowsPerDay, int top) {
        int n = t.actual().length;
        double max = 1;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, Math.max(t.actual()[i], t.upper()[i]));
        }
        int plotTop = top + MARGIN_TOP;
        int plotHeight = PANEL_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;
        int plotWidth = WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
        double yMax = max;
        java.util.function.IntUnaryOperator x = i -> MARGIN_LEFT + (int) Math.round((double) i * plotWidth / (n - 1));
        java.util.function.DoubleToIntFunction y = v -> plotTop + plotHeight - (int) Math.round(v / yMax * plotHeight);

        g.setColor(BAND);
        for (int i = 0; i < n - 1; i++) {
            int[] xs = {x.applyAsInt(i), x.applyAsInt(i + 1), x.applyAsInt(i + 1), x.applyAsInt(i)};
            int[] ys = {y.applyAsInt(t.upper()[i]), y.applyAsInt(t.upper()[i + 1]), y.applyAsInt(t.lower()[i + 1]),
                    y.applyAsInt(t.lower()[i])};
            g.fillPolygon(xs, ys, 4);
        }
        g.setStroke(new BasicStroke(1.6f));
        drawLine(g, t.forecast(), FORECAST, x, y);
        drawLine(g, t.actual(), ACTUAL, x, y);

        g.setStroke(new BasicStroke(1f));
        g.setColor(Color.DARK_GRAY);
        g.drawRect(MARGIN_LEFT, plotTop, plotWidth, plotHeight);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int tick = 0; tick <= 4; tick++) {
            double v = yMax * tick / 4;
            int ty = y.applyAsInt(v);
            g.drawLine(MARGIN_LEFT - 4, ty, MARGIN_LEFT, ty);
            g.drawString(String.format(Locale.ROOT, "%.3g", v), 8, ty + 4);
        }
        for (int w = 0; w < n; w += windowsPerDay / 4) {
            int tx = x.applyAsInt(w);
            g.drawLine(tx, plotTop + plotHeight, tx, plotTop + plotHeight + 4);
            int day = ServeGenForecastEvaluation.FIRST_SCORED_DAY + 1 + w / windowsPerDay;
            int hour = (w % windowsPerDay) * 24 / windowsPerDay;
            g.drawString(String.format(Locale.ROOT, "day %d %02d:00", day, hour), tx - 30, plotTop + plotHeight + 18);
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(String.format(Locale.ROOT,
                "%s: tokens per window, actual (blue), 24 h-ahead forecast (orange), 80%% interval (band)"
                        + "   WAPE %.3f vs seasonal-naive %.3f, coverage %.2f",
                t.tenant(), t.forecasterWape(), t.seasonalNaiveWape(), (double) t.covered() / t.intervals()),
                MARGIN_LEFT, top + 22);
    }

    private static void drawLine(Graphics2D g, double[] values, Color color, java.util.function.IntUnaryOperator x,
                                 java.util.function.DoubleToIntFunction y) {
        g.setColor(color);
        for (int i = 0; i < values.length - 1; i++) {
            g.drawLine(x.applyAsInt(i), y.applyAsInt(values[i]), x.applyAsInt(i + 1), y.applyAsInt(values[i + 1]));
        }
    }
}
