package io.soma.streams.topologies.replay;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * The Azure LLM inference trace 2023 (Azure Public Dataset, CC-BY-4.0): one row a request with its
 * arrival time and token counts, nothing else — no text, no model, no latency.
 */
public final class AzureTrace {
    /** The trace's timestamps carry 7 fractional digits and no zone; the dataset documents them as UTC. */
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSS");

    private AzureTrace() {
    }

    public record Request(long row, Instant arrivedAt, int contextTokens, int generatedTokens) {
    }

    /** The {@code conv} and {@code code} files of the trace, by tenant name. */
    public static Path file(Path datasetsDir, String tenant) {
        return datasetsDir.resolve("azure-llm-inference-2023").resolve("AzureLLMInferenceTrace_" + tenant + ".csv");
    }

    public static List<Request> read(Path csv) {
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get();
        List<Request> requests = new ArrayList<>();
        try (Reader in = Files.newBufferedReader(csv)) {
            for (CSVRecord r : format.parse(in)) {
                requests.add(new Request(r.getRecordNumber(),
                        LocalDateTime.parse(r.get("TIMESTAMP"), TIMESTAMP).toInstant(ZoneOffset.UTC),
                        Integer.parseInt(r.get("ContextTokens")),
                        Integer.parseInt(r.get("GeneratedTokens"))));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Azure trace " + csv + " (see ../shared/data/README.md)", e);
        }
        return requests;
    }
}
