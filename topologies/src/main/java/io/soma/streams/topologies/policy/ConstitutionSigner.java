package io.soma.streams.topologies.policy;

import com.fasterxml.jackson.core.JsonProcessingException;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.Base64;

/** Signs a constitution document the way {@link ConstitutionVerifier} checks it: over its canonical UTF-8 bytes. */
public final class ConstitutionSigner {
    private ConstitutionSigner() {
    }

    /**
     * @param tenant null for the global constitution
     * @throws GeneralSecurityException when the key cannot sign
     * @throws JsonProcessingException  when the document is not strict JSON
     */
    public static SignedBundle sign(String documentJson, String version, Instant issuedAt, String tenant,
                                    String keyId, PrivateKey key) throws GeneralSecurityException, JsonProcessingException {
        String canonical = CanonicalJson.canonicalize(documentJson);
        byte[] bytes = canonical.getBytes(StandardCharsets.UTF_8);
        SignatureAlgorithm algorithm = SignatureAlgorithm.forKey(key);
        String value = Base64.getEncoder().encodeToString(algorithm.sign(key, bytes));
        return new SignedBundle(version, issuedAt, canonical, CanonicalJson.sha256Hex(bytes),
                new SignedBundle.Signature(algorithm.bundleName(), value, keyId), tenant);
    }
}
