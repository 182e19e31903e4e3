package io.soma.streams.topologies.slm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Ray LLMPerf leaderboard raw data (Apache-2.0): one JSON file per provider and Llama-2 chat size
 * ({@code <provider>_<7b|13b|70b>.json}), each an array of per-request measurements in seconds. The files
 * carry no timestamps and no model name; the model comes from the leaderboard's README ("7B, 13B, and 70B of
 * LLama-2 chat models") and the size in the file name.
 */
public final class LlmPerfRecords {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern FILE_NAME = Pattern.compile("([a-z0-9]+)_(\\d+b)\\.json");

    private LlmPerfRecords() {
    }

    /**
     * One request as the file has it. Failed requests keep the file's values: rate-limited ones (429) carry
     * 0 s latencies and 1 output token, which are placeholders of the benchmark, not measurements.
     *
     * @param index     position in the file, from 0
     * @param errorCode the benchmark's error code, {@code null} on success (-100 "Output too few tokens",
     *                  429 rate limited, -1 unknown)
     */
    public record Request(
            String provider,
            String model,
            int index,
            Integer errorCode,
            String errorMessage,
            double ttftS,
            double endToEndLatencyS,
            double interTokenLatencyS,
            double requestOutputThroughputTokenPerS,
            int inputTokens,
            int outputTokens,
            int totalTokens) {

        public boolean failed() {
            return errorCode != null;
        }

        /** The same request in the SLM metrics' units (milliseconds). */
        public SlmRequest toSlmRequest() {
            return new SlmRequest(model, provider, failed(), endToEndLatencyS * 1000, ttftS * 1000,
                    inputTokens, outputTokens);
        }
    }

    public static Path directory(Path datasetsDir) {
        return datasetsDir.resolve("llmperf-leaderboard");
    }

    /** Every measurement file of the leaderboard, by name. */
    public static List<Path> files(Path datasetsDir) {
        try (Stream<Path> listing = Files.list(directory(datasetsDir))) {
            return listing.filter(p -> FILE_NAME.matcher(p.getFileName().toString()).matches()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + directory(datasetsDir) + " (see ../shared/data/README.md)", e);
        }
    }

    /** {@code together_70b.json} → {@code together}. */
    public static String provider(Path file) {
        return fileName(file).group(1);
    }

    /** {@code together_70b.json} → {@code llama-2-70b-chat}. */
    public static String model(Path file) {
        return "llama-2-" + fileName(file).group(2) + "-chat";
    }

    public static List<Request> read(Path file) {
        String provider = provider(file);
        String model = model(file);
        JsonNode rows;
        try {
            rows = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the LLMPerf file " + file + " (see ../shared/data/README.md)", e);
        }
        if (!rows.isArray()) {
            throw new IllegalArgumentException(file + " is not an array of LLMPerf measurements");
        }
        List<Request> requests = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            JsonNode row = rows.get(i);
            JsonNode errorCode = required(row, "error_code", file, i);
            requests.add(new Request(provider, model, i,
                    errorCode.isNull() ? null : errorCode.intValue(),
                    required(row, "error_msg", file, i).asText(),
                    number(row, "ttft_s", file, i).doubleValue(),
                    number(row, "end_to_end_latency_s", file, i).doubleValue(),
                    number(row, "inter_token_latency_s", file, i).doubleValue(),
                    number(row, "request_output_throughput_token_per_s", file, i).doubleValue(),
                    number(row, "number_input_tokens", file, i).intValue(),
                    number(row, "number_output_tokens", file, i).intValue(),
                    number(row, "number_total_tokens", file, i).intValue()));
        }
        return requests;
    }

    private static Matcher fileName(Path file) {
        Matcher m = FILE_NAME.matcher(file.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException(file + " is not named <provider>_<size>b.json like the LLMPerf files");
        }
        return m;
    }

    private static JsonNode required(JsonNode row, String field, Path file, int index) {
        JsonNode value = row.get(field);
        if (value == null) {
            throw new IllegalArgumentException(file + " request " + index + " has no " + field);
        }
        return value;
    }

    private static JsonNode number(JsonNode row, String field, Path file, int index) {
        JsonNode value = required(row, field, file, index);
        if (!value.isNumber()) {
            throw new IllegalArgumentException(file + " request " + index + ": " + field + " is not a number");
        }
        return value;
    }
}
