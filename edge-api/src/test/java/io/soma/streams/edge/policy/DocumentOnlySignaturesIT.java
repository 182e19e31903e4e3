package io.soma.streams.edge.policy;

import io.soma.streams.edge.EdgeFixture;
import io.soma.streams.topologies.policy.constitution.ConstitutionBundleJson;
import io.soma.streams.topologies.policy.constitution.SignedBundle;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The migration setting {@code constitution.accept.document.only.signatures=true}: a bundle signed over the
 * document alone is accepted by the edge and by the policy app's gate. (Refused by default:
 * {@link ConstitutionPublishIT}.) A class of its own, so no process with the default setting shares the policy
 * app's group and gates the bundle.
 */
class DocumentOnlySignaturesIT {
    @Test
    void shouldAcceptADocumentOnlySignatureOnlyWhenTheSettingIsOn() throws Exception {
        ConstitutionPublisher publisher = new ConstitutionPublisher();
        String tenant = EdgeFixture.tenants("legacy-on", 1).get(0);
        SignedBundle legacy = publisher.signDocumentOnly(ConstitutionPublisher.uniqueDocument(), "1.0.0", tenant);
        try (EdgeFixture edge = new EdgeFixture(Map.of("constitution.trusted.keys", publisher.trustedKeysSetting(),
                "constitution.accept.document.only.signatures", "true")).awaitReady()) {
            HttpResponse<String> r = edge.post("/v1/constitution", edge.adminToken(), ConstitutionBundleJson.write(legacy));

            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            edge.awaitGet("the document-only bundle active", "/v1/constitution/" + tenant + "/hash", edge.adminToken(),
                    body -> body.path("scope").asText().equals(tenant) && body.path("hash").asText().equals(legacy.hash()));
        }
    }
}
