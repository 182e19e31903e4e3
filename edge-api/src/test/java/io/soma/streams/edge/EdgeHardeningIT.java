package io.soma.streams.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jwt.SignedJWT;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.testkit.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a running edge leaves to someone who can read its Redis or reach its public port without a token: sealed
 * signing keys, no metrics, a readiness answer that names no host. Both edges here have a management listener.
 */
class EdgeHardeningIT {
    private static final Map<String, String> WITH_MANAGEMENT = Map.of("edge.management.port", "0");
    private static EdgeFixture edge;

    @BeforeAll
    static void start() {
        edge = new EdgeFixture(WITH_MANAGEMENT).awaitReady();
    }

    @AfterAll
    static void stop() {
        if (edge != null) {
            edge.close();
        }
    }

    @Test
    void shouldKeepTheSigningKeyInRedisSealed() throws Exception {
        String token = edge.tokenFor(EdgeFixture.tenants("sealed", 1).get(0), "sam", Set.of(Capability.CONVERSATION));
        String kid = SignedJWT.parse(token).getHeader().getKeyID();

        String stored = edge.redis().get(edge.redisKey("identity:keys:jwk:" + kid));

        assertThat(stored).isNotNull().doesNotContain("\"d\"", "\"kty\"", "P-256");
        assertThat(JWEObject.parse(stored).getHeader().getEncryptionMethod().getName()).isEqualTo("A256GCM");
    }

    @Test
    void shouldServeMetricsOnTheManagementPortOnly() {
        HttpResponse<String> publicScrape = edge.get("/metrics", null);
        HttpResponse<String> managementScrape = edge.getManagement("/metrics");

        assertThat(publicScrape.statusCode()).as(publicScrape.body()).isEqualTo(404);
        assertThat(managementScrape.statusCode()).isEqualTo(200);
        assertThat(managementScrape.body()).contains("jvm_memory_used_bytes", "kafka_streams_");
    }

    @Test
    void shouldNameNoHostInThePublicReadinessAnswer() {
        // nothing listens on port 1; a port found free now could be taken by the other test JVM before Redis is asked
        int closedPort = 1;
        Map<String, String> redisDown = Map.of("edge.management.port", "0",
                "redis.url", "redis://:hunter2-redis@127.0.0.1:" + closedPort);
        try (EdgeFixture unready = new EdgeFixture(redisDown)) {
            JsonNode detailed = EdgeFixture.json(Await.value("the management port to say why Redis fails",
                    EdgeFixture.AWAIT_TIMEOUT, () -> unready.getManagement("/health/ready"),
                    r -> r.statusCode() == 503 && !EdgeFixture.json(r).at("/checks/redis").asText().equals("ok")));

            HttpResponse<String> answer = unready.get("/health/ready", null);

            assertThat(detailed.at("/checks/redis").asText()).contains("127.0.0.1:" + closedPort)
                    .doesNotContain("hunter2-redis");
            assertThat(answer.statusCode()).isEqualTo(503);
            assertThat(EdgeFixture.json(answer).at("/checks/redis").asText()).isEqualTo("failing");
            assertThat(answer.body()).doesNotContain("127.0.0.1", "redis://");
            assertThat(EdgeFixture.json(answer).get("checks").size()).isEqualTo(detailed.get("checks").size());
        }
    }
}
