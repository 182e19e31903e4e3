package io.soma.streams.topologies.forecast;

import io.soma.streams.avro.ConversationEvent;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The ServeGen m-large trace (Alibaba ServeGen, Apache-2.0) as {@code conversation.events}. Its rows are 10-minute
 * aggregates per tenant with no per-request split, so each window with requests becomes ONE event carrying the
 * window's input and output token totals at the window's start: spreading them over requests would invent a
 * per-request distribution. A window with 0 requests (always 0 tokens in this file) produces no event, which the
 * forecaster reads as 0 tokens. The file has no provider or model, so they are absent (the usage key says
 * {@value ForecastKey#UNKNOWN}); the window's real request count travels in {@code metadata}, since the
 * usage windows count events. Event time = {@link #EPOCH} + {@code window_start_s}.
 *
 * <p>All events of one replay share one session id (the record key), so they reach one partition in event-time
 * order. Spread over several partitions, a replay compressed from days into seconds would let one partition's
 * tenants run days of event time ahead of the others once repartitioned by tenant, and the lagging ones would be
 * late beyond any grace period; live traffic is skewed by seconds, which the grace period covers.
 */
public final class ServeGenEvents {
    /** A Thursday a whole number of weeks after 1970-01-01, so trace day d has the forecaster's weekday d mod 7. */
    public static final Instant EPOCH = Instant.parse("2025-01-02T00:00:00Z");
    /** Metadata of each event: how many requests the window's token totals are spread over. */
    public static final String REQUESTS_METADATA = "servegen.requests";
    public static final String EVENT_TYPE = "servegen.window";

    private ServeGenEvents() {
    }

    /**
     * The events of the given tenants (all when {@code tenants} is empty), oldest first; each event's tenant is
     * {@code tenantPrefix} + the file's tenant, so concurrent replays on one broker stay apart.
     */
    public static List<ConversationEvent> read(Path csv, Collection<String> tenants, String tenantPrefix) {
        Set<String> wanted = Set.copyOf(tenants);
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get();
        List<ConversationEvent> events = new ArrayList<>();
        try (Reader in = Files.newBufferedReader(csv)) {
            for (CSVRecord r : format.parse(in)) {
                long requests = Long.parseLong(r.get("requests"));
                if (requests == 0 || !(wanted.isEmpty() || wanted.contains(r.get("tenant")))) {
                    continue;
                }
                String tenant = tenantPrefix + r.get("tenant");
                long startS = Long.parseLong(r.get("window_start_s"));
                events.add(ConversationEvent.newBuilder()
                        .setEventId("servegen:" + tenant + ":" + startS)
                        .setSessionId("servegen:" + tenantPrefix + "replay")
                        .setTenant(tenant)
                        .setRole("assistant")
                        .setEventType(EVENT_TYPE)
                        .setTimestamp(EPOCH.plusSeconds(startS))
                        .setPromptTokens(Math.toIntExact(Long.parseLong(r.get("input_tokens"))))
                        .setCompletionTokens(Math.toIntExact(Long.parseLong(r.get("output_tokens"))))
                        .setMetadata(Map.of(REQUESTS_METADATA, Long.toString(requests)))
                        .build());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the ServeGen trace " + csv + " (see ../shared/data/README.md)", e);
        }
        events.sort(Comparator.comparing(ConversationEvent::getTimestamp).thenComparing(ConversationEvent::getTenant));
        return events;
    }
}
