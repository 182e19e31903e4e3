package io.soma.streams.edge.policy;

import com.fasterxml.jackson.databind.JsonNode;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.http.JsonBody;
import io.soma.streams.topologies.policy.rules.Rule;

import java.util.TreeSet;

/** The role a step or an evaluation speaks in, as the rules scope it. */
final class EventRoles {
    private EventRoles() {
    }

    /**
     * The body's {@code role} as the rules compare it (trimmed, lower case), {@code user} when it has none.
     *
     * @throws ApiException 400 for any other role than the four: rules kept for {@code user} and {@code tool} would
     *                      not apply to {@code "function"} or {@code "human"}, and the text would pass unchecked
     */
    static String of(JsonNode body) {
        String role = Rule.normalisedScope(JsonBody.text(body, "role"));
        if (role == null) {
            return "user";
        }
        if (!Rule.ROLES.contains(role)) {
            throw ApiException.badRequest("role must be one of " + String.join(", ", new TreeSet<>(Rule.ROLES)),
                    "role");
        }
        return role;
    }
}
