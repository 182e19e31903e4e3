package io.soma.streams.topologies.forecast;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One tenant of the ServeGen m-large trace (Alibaba ServeGen, Apache-2.0) as a series: one value per window from the
 * start of the trace, missing windows 0. The trace as events is {@link ServeGenEvents}.
 */
public record ServeGenSeries(String tenant, long[] promptTokens, long[] completionTokens) {
    /** Days in the trace. */
    public static final int DAYS = 14;

    public double total(int window) {
        return promptTokens[window] + completionTokens[window];
    }

    /** Tokens of the windows from {@code first} (inclusive) to {@code end} (exclusive). */
    public double total(int first, int end) {
        double sum = 0;
        for (int w = first; w < end; w++) {
            sum += total(w);
        }
        return sum;
    }

    /** Every tenant of the trace, in file order, aggregated into windows of the given length. */
    public static Map<String, ServeGenSeries> read(Path csv, Duration window) {
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get();
        int windows = (int) (DAYS * Duration.ofDays(1).toMillis() / window.toMillis());
        Map<String, ServeGenSeries> series = new LinkedHashMap<>();
        try (Reader in = Files.newBufferedReader(csv)) {
            for (CSVRecord r : format.parse(in)) {
                ServeGenSeries s = series.computeIfAbsent(r.get("tenant"),
                        t -> new ServeGenSeries(t, new long[windows], new long[windows]));
                int w = (int) (Long.parseLong(r.get("window_start_s")) * 1000 / window.toMillis());
                s.promptTokens()[w] += Long.parseLong(r.get("input_tokens"));
                s.completionTokens()[w] += Long.parseLong(r.get("output_tokens"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the ServeGen trace " + csv + " (see ../shared/data/README.md)", e);
        }
        return series;
    }

    /** The {@code count} tenants with the most active windows among the first {@code trainingWindows}. */
    public static List<String> mostActive(Map<String, ServeGenSeries> series, int count, int trainingWindows) {
        return series.values().stream()
                .sorted(Comparator.comparingLong((ServeGenSeries s) -> -s.activeWindows(trainingWindows))
                        .thenComparing(ServeGenSeries::tenant))
                .limit(count)
                .map(ServeGenSeries::tenant)
                .toList();
    }

    private long activeWindows(int windows) {
        long active = 0;
        for (int w = 0; w < windows; w++) {
            active += total(w) > 0 ? 1 : 0;
        }
        return active;
    }
}
