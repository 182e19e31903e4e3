package io.soma.streams.stores.query;

import com.fasterxml.jackson.databind.JsonNode;

/** Found (with the JSON view), not found, or nobody can answer now (with the reason). */
public record QueryResult(Status status, JsonNode value, String problem) {
    public enum Status { FOUND, NOT_FOUND, UNAVAILABLE }

    static QueryResult found(JsonNode value) {
        return new QueryResult(Status.FOUND, value, null);
    }

    static QueryResult notFound() {
        return new QueryResult(Status.NOT_FOUND, null, null);
    }

    static QueryResult unavailable(String problem) {
        return new QueryResult(Status.UNAVAILABLE, null, problem);
    }
}
