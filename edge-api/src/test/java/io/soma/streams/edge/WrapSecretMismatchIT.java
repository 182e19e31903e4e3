package io.soma.streams.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.SignedJWT;
import io.soma.streams.edge.auth.IdentitySlice;
import io.soma.streams.edge.auth.KeySeal;
import io.soma.streams.edge.auth.SigningKeys;
import io.soma.streams.edge.auth.SigningKeysUnreadable;
import io.soma.streams.edge.auth.TokenLifetime;
import io.soma.streams.testkit.Await;
import io.soma.streams.topologies.runtime.Settings;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Two deployments whose signing keys meet in one Redis under one key prefix, each with its own
 * {@code identity.keys.wrap.secret}: a demo started from a new clone (a new data dir, so a new secret) next to an
 * earlier demo's keys. Neither may replace the other's keys; the one that cannot open them says why and how to fix it.
 */
class WrapSecretMismatchIT {
    private static final TokenLifetime LIFETIME = new TokenLifetime(Duration.ofMinutes(15), Duration.ofSeconds(30));

    @Test
    void shouldRefuseToStartWithAnotherWrapSecretAndKeepTheKeysInUse() throws Exception {
        try (EdgeFixture first = EdgeFixture.withSlices(List.of(IdentitySlice::start), Map.of()).awaitReady()) {
            String token = first.adminToken();
            String kid = SignedJWT.parse(token).getHeader().getKeyID();
            String sealed = first.redis().get(first.redisKey("identity:keys:jwk:" + kid));
            String otherSecret = KeySeal.newWrapSecret();

            assertThatThrownBy(() -> first.anotherInstance(Map.of("identity.keys.wrap.secret", otherSecret)).close())
                    .isInstanceOf(Settings.ConfigException.class)
                    .hasMessageContaining("identity.keys.wrap.secret")
                    .hasMessageContaining(first.redisKey("identity:keys:*"))
                    .hasMessageNotContaining(otherSecret);

            assertThat(first.redis().get(first.redisKey("identity:keys:current"))).isEqualTo(kid);
            assertThat(first.redis().get(first.redisKey("identity:keys:jwk:" + kid))).isEqualTo(sealed);
            HttpResponse<String> verified = first.post("/v1/tokens/verify", token,
                    EdgeFixture.json(Map.of("token", token)));
            assertThat(verified.statusCode()).as(verified.body()).isEqualTo(200);
        }
    }

    @Test
    void shouldTurnUnreadyAndAnswer503WhenAnotherSecretSealedTheKeysAfterItStarted() throws Exception {
        try (EdgeFixture edge = EdgeFixture.withSlices(List.of(IdentitySlice::start), Map.of()).awaitReady()) {
            String apiKey = edge.adminApiKey();
            // someone flushed the keys and another deployment, with its own secret, made the next one
            edge.redis().del(edge.redisKey("identity:keys:current"));
            String otherSecret = KeySeal.newWrapSecret();
            new SigningKeys(edge.redis(), edge.redisKey(""), KeySeal.withSecret(Base64.getDecoder().decode(otherSecret)),
                    LIFETIME, Clock.systemUTC()).current();

            HttpResponse<String> issued = edge.post("/v1/tokens/issue", null,
                    EdgeFixture.json(Map.of("api_key", apiKey)));
            // the public probe answers from one round of checks a second: the next round says it
            HttpResponse<String> ready = Await.value("the public probe to turn unready", EdgeFixture.AWAIT_TIMEOUT,
                    () -> edge.get("/health/ready", null), r -> r.statusCode() == 503);

            assertThat(issued.statusCode()).as(issued.body()).isEqualTo(503);
            JsonNode error = EdgeFixture.json(issued);
            assertThat(error.get("error").asText()).isEqualTo(SigningKeysUnreadable.ERROR);
            assertThat(error.get("message").asText()).contains("identity.keys.wrap.secret")
                    .doesNotContain(otherSecret);
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
            assertThat(EdgeFixture.json(ready).get("checks").get("signing-keys").asText()).isEqualTo("failing");
        }
    }
}
