package io.soma.streams.topologies.policy.constitution;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Instant;
import java.util.Base64;

/** Bundles the constitution tests and the policy app's IT share. */
public final class PolicyTestData {
    private PolicyTestData() {
    }

    /** Signed with Ed25519 as bundles were before the envelope: over the canonical document bytes alone. */
    public static SignedBundle documentOnlySigned(String document, String version, Instant issuedAt, String tenant,
                                                  String keyId, KeyPair pair) throws Exception {
        byte[] bytes = CanonicalJson.canonicalize(document).getBytes(StandardCharsets.UTF_8);
        String value = Base64.getEncoder().encodeToString(SignatureAlgorithm.EDDSA.sign(pair.getPrivate(), bytes));
        return new SignedBundle(version, issuedAt, document, CanonicalJson.sha256Hex(bytes),
                new SignedBundle.Signature(SignatureAlgorithm.EDDSA.bundleName(), value, keyId), tenant);
    }
}
