package io.soma.streams.topologies.policy.constitution;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.Base64;

/**
 * Signs a constitution the way {@link ConstitutionVerifier} checks it: over the {@link ConstitutionEnvelope} of the
 * document, version, tenant and issue time.
 */
public final class ConstitutionSigner {
    private ConstitutionSigner() {
    }

    /**
     * @param issuedAt kept to the millisecond, as the Avro bundle stores it
     * @param tenant   null for the global constitution
     * @throws GeneralSecurityException when the key cannot sign
     * @throws JsonProcessingException  when the document is not strict JSON
     */
    public static SignedBundle sign(String documentJson, String version, Instant issuedAt, String tenant,
                                    String keyId, PrivateKey key) throws GeneralSecurityException, JsonProcessingException {
        JsonNode document = CanonicalJson.parse(documentJson);
        String canonical = CanonicalJson.write(document);
        Instant issued = Instant.ofEpochMilli(issuedAt.toEpochMilli());
        SignatureAlgorithm algorithm = SignatureAlgorithm.forKey(key);
        byte[] signature = algorithm.sign(key, ConstitutionEnvelope.signedBytes(document, version, issued, tenant));
        return new SignedBundle(version, issued, canonical, CanonicalJson.sha256Hex(canonical.getBytes(StandardCharsets.UTF_8)),
                new SignedBundle.Signature(algorithm.bundleName(), Base64.getEncoder().encodeToString(signature), keyId), tenant);
    }
}
