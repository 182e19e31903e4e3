package io.soma.streams.topologies.policy.constitution;

import java.time.Instant;

/**
 * A constitution bundle as received, before verification: every field is a claim. Mirrors the Avro
 * {@code ConstitutionBundle}; {@code documentJson} is the document as JSON text, canonical or not.
 *
 * @param signature null when the bundle is unsigned
 * @param tenant    null for the global constitution
 */
public record SignedBundle(String version, Instant issuedAt, String documentJson, String hash,
                           Signature signature, String tenant) {
    /**
     * @param algorithm {@code RS256} or {@code EdDSA}
     * @param value     the signature bytes in Base64 (standard or URL-safe alphabet)
     */
    public record Signature(String algorithm, String value, String keyId) {
    }
}
