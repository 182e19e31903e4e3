package io.soma.streams.edge.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.javalin.security.RouteRole;
import io.soma.streams.schemas.Texts;

import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The top-level fields a route's JSON body may have, declared with the route. Any other field is refused with 422
 * naming it before the handler runs, so a misspelt field ({@code "hard_limt"}, {@code "time_zon"}) is an error rather
 * than a silently applied default. Nested objects (a manifest, a rule) are their readers' to check.
 */
public record BodyFields(Set<String> names) implements RouteRole {
    /** An unknown field's name is echoed up to this length: it is the caller's input. */
    private static final int MAX_SHOWN_CHARS = 100;

    public BodyFields {
        names = Set.copyOf(names);
    }

    public static BodyFields of(String... names) {
        return new BodyFields(Set.of(names));
    }

    /** Before a matched route: refuses a body field the route does not declare; routes without a body pass. */
    public static void refuseUnknown(Context ctx) {
        for (RouteRole role : ctx.routeRoles()) {
            if (role instanceof BodyFields declared) {
                declared.check(JsonBody.object(ctx));
            }
        }
    }

    void check(JsonNode body) {
        for (Iterator<String> fields = body.fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (!names.contains(field)) {
                String shown = Texts.cut(field, MAX_SHOWN_CHARS);
                throw ApiException.unprocessable("unknown field \"" + shown + "\": this request takes "
                        + String.join(", ", new TreeSet<>(names)), Map.of("field", shown));
            }
        }
    }
}
