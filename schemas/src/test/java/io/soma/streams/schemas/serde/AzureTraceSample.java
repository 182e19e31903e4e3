package io.soma.streams.schemas.serde;

import io.soma.streams.avro.ConversationEvent;

import io.soma.streams.testkit.TestPaths;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Conversation events from the real Azure LLM inference trace (conv), which carries token counts and no text. */
public final class AzureTraceSample {
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSS");

    private AzureTraceSample() {
    }

    public static List<ConversationEvent> firstEvents(int count) {
        Path trace = TestPaths.dataDir().resolve("azure-llm-inference-2023/AzureLLMInferenceTrace_conv.csv");
        try (Stream<String> lines = Files.lines(trace)) {
            return lines.skip(1).limit(count).map(AzureTraceSample::event).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + trace, e);
        }
    }

    private static ConversationEvent event(String line) {
        String[] cells = line.split(",");
        var timestamp = LocalDateTime.parse(cells[0], TIMESTAMP).toInstant(ZoneOffset.UTC);
        return ConversationEvent.newBuilder()
                .setEventId("azure-conv-" + timestamp.toEpochMilli())
                .setSessionId("azure-conv-" + timestamp.toEpochMilli())
                .setTenant("conv")
                .setRole("user")
                .setEventType("slm.response")
                .setTimestamp(timestamp)
                .setPromptTokens(Integer.parseInt(cells[1]))
                .setCompletionTokens(Integer.parseInt(cells[2]))
                .setMetadata(Map.of("source", "azure-llm-inference-2023"))
                .build();
    }
}
