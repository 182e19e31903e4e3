package io.soma.streams.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.edge.auth.IdentitySlice;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.LocalServices;
import io.soma.streams.testkit.TcpProxy;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A process that starts while PostgreSQL does not answer: it starts, not ready, its identity routes answering 503,
 * and prepares its identity store (tables, bootstrap admin) once PostgreSQL answers, without a restart. PostgreSQL
 * is the machine's own, reached through a proxy the test cuts and restores: other tests keep using it meanwhile.
 */
class PostgresDownAtStartIT {
    /** From PostgreSQL's return: the next retry (at most 30 s away), then every Streams app of the process running. */
    private static final Duration READY_AFTER_RETURN = Duration.ofSeconds(150);
    /** The request pool's socket timeout here: the archive pool keeps its 5 minutes. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private static String jtiOf(String token) throws Exception {
        byte[] claims = Base64.getUrlDecoder().decode(token.split("\\.")[1]);
        return new ObjectMapper().readTree(claims).get("jti").asText();
    }

    @Test
    void shouldStartWhilePostgresIsDownAndPrepareTheIdentityStoreOnceItAnswers() throws Exception {
        URI postgres = URI.create(LocalServices.testJdbcUrl().substring("jdbc:".length()));
        try (TcpProxy proxy = new TcpProxy(postgres.getHost(), postgres.getPort())) {
            proxy.cut();
            try (EdgeFixture edge = new EdgeFixture(Map.of("edge.management.port", "0",
                    "postgres.jdbc.url", "jdbc:postgresql://127.0.0.1:" + proxy.port() + postgres.getPath(),
                    "postgres.request.timeout", REQUEST_TIMEOUT.toString()))) {
                HttpResponse<String> notReady = edge.get("/health/ready", null);
                assertThat(notReady.statusCode()).as(notReady.body()).isEqualTo(503);
                assertThat(EdgeFixture.json(notReady).at("/checks/identity-store").asText()).isEqualTo("failing");
                String pending = EdgeFixture.json(edge.getManagement("/health/ready"))
                        .at("/checks/identity-store").asText();
                assertThat(pending).contains("schema migration", "bootstrap admin")
                        .doesNotContain(edge.adminApiKey());

                HttpResponse<String> exchange = edge.send(edge.request("/v1/tokens/issue", null)
                        .header("X-Api-Key", edge.adminApiKey()).POST(HttpRequest.BodyPublishers.ofString("{}")));
                assertThat(exchange.statusCode()).as(exchange.body()).isEqualTo(503);
                assertThat(EdgeFixture.json(exchange).path("error").asText()).isEqualTo("not_ready");

                proxy.restore();
                JsonNode ready = edge.awaitGet("the identity store prepared", "/health/ready", null,
                        READY_AFTER_RETURN, body -> true);
                assertThat(ready.at("/checks/identity-store").asText()).isEqualTo("ok");
                assertThat(edge.adminToken()).as("the bootstrap admin's key exchanged for a token").isNotBlank();

                // a network partition: an archive query answers 503 after the request pool's socket timeout, not
                // after the archive's minutes
                String token = edge.adminToken();
                String leaked = edge.tokenFor("platform", "leaky", Set.of(Capability.CONVERSATION));
                proxy.stall();
                try {
                    // a revocation only takes power away: it goes on the admin token's claims meanwhile
                    HttpResponse<String> revoked = edge.post("/v1/tokens/revoke", token,
                            EdgeFixture.json(Map.of("jti", jtiOf(leaked))));
                    assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);

                    long start = System.nanoTime();
                    HttpResponse<String> partitioned = edge.get("/v1/audit/decisions?tenant=conv&limit=1", token);
                    assertThat(partitioned.statusCode()).as(partitioned.body()).isEqualTo(503);
                    // a wide margin for a loaded machine: the archive's own socket timeout is 5 minutes
                    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("answered within the request timeout")
                            .isLessThan(REQUEST_TIMEOUT.multipliedBy(12));
                } finally {
                    proxy.restore();
                }
            }
        }
    }

    /**
     * A deployment restarted with a new bootstrap key (the old one leaked) while PostgreSQL does not answer: the old
     * key must not be exchanged between PostgreSQL's return and the retry that retires it (up to 30 s later).
     */
    @Test
    void shouldRefuseEveryApiKeyUntilAnEarlierBootstrapKeyIsRetired() throws Exception {
        URI postgres = URI.create(LocalServices.testJdbcUrl().substring("jdbc:".length()));
        try (TcpProxy proxy = new TcpProxy(postgres.getHost(), postgres.getPort());
             EdgeFixture first = EdgeFixture.withSlices(List.of(IdentitySlice::start), Map.of("edge.management.port", "0",
                     "postgres.jdbc.url", "jdbc:postgresql://127.0.0.1:" + proxy.port() + postgres.getPath()))) {
            first.awaitReady();
            String leaked = first.adminApiKey();
            assertThat(exchange(first, leaked).statusCode()).isEqualTo(201);

            proxy.cut();
            String replacement = UUID.randomUUID() + "-" + UUID.randomUUID();
            try (EdgeFixture restarted = first.anotherInstance(Map.of("identity.bootstrap.api.key", replacement))) {
                proxy.restore();
                // not ready (503) until the retry that retires it, unknown (401) after it: never a token
                HttpResponse<String> retired = Await.value("the leaked key retired", READY_AFTER_RETURN, () -> {
                    HttpResponse<String> answer = exchange(restarted, leaked);
                    // the body is not shown: it would be a token with every capability
                    assertThat(answer.statusCode()).as("the leaked key's exchange").isIn(503, 401);
                    return answer;
                }, answer -> answer.statusCode() == 401);
                assertThat(EdgeFixture.json(retired).at("/details/reason").asText()).isEqualTo("unknown_api_key");
                assertThat(exchange(restarted, replacement).statusCode()).isEqualTo(201);
            }
        }
    }

    private static HttpResponse<String> exchange(EdgeFixture edge, String apiKey) {
        return edge.send(edge.request("/v1/tokens/issue", null).header("X-Api-Key", apiKey)
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
    }
}
