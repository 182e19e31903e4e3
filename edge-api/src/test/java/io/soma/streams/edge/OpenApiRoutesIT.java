package io.soma.streams.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.soma.streams.edge.OpenApiDocument.Operation;
import io.soma.streams.edge.auth.Access;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.edge.tenancy.TenantScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * docs/openapi.yaml against the routes Javalin really registers in a running process: every registered route is
 * documented with its public/bearer access and its capabilities, and every documented route is registered unless
 * it is marked {@code x-soma-planned: true}.
 */
class OpenApiRoutesIT {
    private static final Set<String> ERROR_CODES_OF_AUTHENTICATED_ROUTES = Set.of("401", "429");

    private static EdgeFixture edge;
    private static Map<String, EdgeServer.Route> registered;
    private static OpenApiDocument doc;
    private static Map<String, Operation> documented;

    @BeforeAll
    static void start() {
        edge = new EdgeFixture(Map.of());
        registered = edge.routes().stream().collect(Collectors.toMap(
                r -> r.method() + " " + openApiPath(r.path()), Function.identity(), (a, b) -> a, TreeMap::new));
        doc = OpenApiDocument.ofProject();
        documented = doc.operations().stream().collect(Collectors.toMap(Operation::key, Function.identity(),
                (a, b) -> a, TreeMap::new));
    }

    @AfterAll
    static void stop() {
        if (edge != null) {
            edge.close();
        }
    }

    @Test
    void shouldDocumentEveryRegisteredRoute() {
        assertThat(registered).isNotEmpty();
        assertThat(documented.keySet()).as("registered routes missing from docs/openapi.yaml")
                .containsAll(registered.keySet());
    }

    @Test
    void shouldRegisterEveryDocumentedRouteThatIsNotPlanned() {
        Set<String> promised = documented.values().stream().filter(o -> !o.planned()).map(Operation::key)
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(registered.keySet()).as("documented in docs/openapi.yaml without x-soma-planned, but not registered")
                .containsAll(promised);
    }

    @Test
    void shouldMarkPlannedOnlyRoutesThatAreNotRegisteredYet() {
        Set<String> stale = documented.values().stream().filter(Operation::planned).map(Operation::key)
                .filter(registered::containsKey).collect(Collectors.toCollection(TreeSet::new));
        assertThat(stale).as("registered now: remove x-soma-planned from these in docs/openapi.yaml").isEmpty();
    }

    @Test
    void shouldDocumentEachRoutesAccessAsDeclared() {
        registered.forEach((key, route) -> {
            Operation op = documented.get(key);
            if (op == null) {
                return; // reported by shouldDocumentEveryRegisteredRoute
            }
            assertThat(op.publicRoute()).as("%s is public in the code iff the doc allows an anonymous caller", key)
                    .isEqualTo(route.roles().contains(Access.PUBLIC));
            Set<String> capabilities = route.roles().stream().filter(Capability.class::isInstance)
                    .map(r -> ((Capability) r).claim()).collect(Collectors.toCollection(TreeSet::new));
            assertThat(op.capabilities()).as("x-soma-capabilities of %s", key).isEqualTo(capabilities);
            String scope = route.roles().stream().filter(TenantScope.class::isInstance)
                    .map(r -> ((TenantScope) r).name().toLowerCase(Locale.ROOT)).findFirst().orElse(null);
            assertThat(op.tenantScope()).as("x-soma-tenant-scope of %s", key).isEqualTo(scope);
        });
    }

    @Test
    void shouldDocumentErrorsAsTheErrorSchema() {
        JsonNode error = doc.resolve(refTo("#/components/schemas/Error"));
        assertThat(error.path("required").toString()).isEqualTo("[\"error\",\"message\",\"details\"]");
        for (Operation op : documented.values()) {
            op.responses().forEach((code, response) -> {
                boolean failure = code.startsWith("4") || code.startsWith("5");
                // readiness answers 503 with its checks, not an error
                if (failure && !op.key().equals("GET /health/ready")) {
                    JsonNode schema = doc.resolve(response.path("content").path("application/json").path("schema"));
                    assertThat(schema).as("%s answer %s is {error, message, details}", op.key(), code).isEqualTo(error);
                }
            });
            if (!op.publicRoute()) {
                assertThat(op.responses().keySet()).as("%s needs a token and is rate limited", op.key())
                        .containsAll(ERROR_CODES_OF_AUTHENTICATED_ROUTES);
            }
            if (op.requestSchema() != null) {
                assertThat(op.responses().keySet()).as("%s takes a body", op.key()).contains("400", "413");
            }
            if (!op.capabilities().isEmpty()) {
                assertThat(op.responses().keySet()).as("%s needs a capability", op.key()).contains("403");
            }
        }
    }

    @Test
    void shouldResolveEveryReference() {
        List<String> refs = doc.refs();
        assertThat(refs).isNotEmpty();
        refs.forEach(ref -> assertThatCode(() -> doc.resolve(refTo(ref))).as(ref).doesNotThrowAnyException());
    }

    /** Javalin's {@code <param>} and {@code {param}} are both OpenAPI's {@code {param}}. */
    static String openApiPath(String javalinPath) {
        return javalinPath.replaceAll("<([^>]+)>", "{$1}");
    }

    private static JsonNode refTo(String pointer) {
        return JsonNodeFactory.instance.objectNode().put("$ref", pointer);
    }
}
