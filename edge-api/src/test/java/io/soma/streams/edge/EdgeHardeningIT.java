package io.soma.streams.edge;

import com.nimbusds.jose.JWEObject;
import com.nimbusds.jwt.SignedJWT;
import io.soma.streams.edge.auth.Capability;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** What a running edge leaves to someone who can read its Redis or reach its port without a token. */
class EdgeHardeningIT {
    private static EdgeFixture edge;

    @BeforeAll
    static void start() {
        edge = new EdgeFixture(Map.of()).awaitReady();
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
}
