package io.soma.streams.topologies.budget;

import io.soma.streams.avro.ConversationEvent;

/**
 * Actual usage reported by a response event.
 *
 * @param eventId       the event's id: an event delivered twice has the same one
 * @param reservationId the reservation it settles: the event's {@value #RESERVATION_ID_METADATA} metadata, or
 *                      its event id (the edge reserves under the id of the step it publishes)
 */
public record Usage(String eventId, String reservationId, String provider, String model, String capsuleId, long promptTokens,
                    long completionTokens) {
    public static final String RESERVATION_ID_METADATA = "budget_reservation_id";

    public static Usage of(ConversationEvent e) {
        String reservation = e.getMetadata().get(RESERVATION_ID_METADATA);
        return new Usage(e.getEventId(), reservation != null ? reservation : e.getEventId(), e.getProvider(), e.getModel(),
                e.getCapsuleId(), e.getPromptTokens() == null ? 0 : e.getPromptTokens(),
                e.getCompletionTokens() == null ? 0 : e.getCompletionTokens());
    }

    /** Whether the event reports any tokens; one that does not settles nothing and costs nothing. */
    public static boolean reportsTokens(ConversationEvent e) {
        return e.getPromptTokens() != null || e.getCompletionTokens() != null;
    }

    public long tokens() {
        return promptTokens + completionTokens;
    }
}
