package io.soma.streams.topologies.policy.constitution;

import io.soma.streams.topologies.policy.rules.Rule;

import java.time.Instant;
import java.util.List;

/**
 * A constitution whose hash and signature have been verified.
 *
 * @param tenant            the tenant it governs; null for the global constitution
 * @param hash              hex SHA-256 of {@code canonicalDocument}, recomputed
 * @param canonicalDocument the signed bytes, as UTF-8 JSON text
 * @param rules             the document's global rules, validated
 */
public record Constitution(String tenant, String version, Instant issuedAt, String hash, String canonicalDocument,
                           String title, List<Rule> rules, String keyId, SignatureAlgorithm algorithm) {
    public static final String GLOBAL_SCOPE = "global";

    public Constitution {
        rules = List.copyOf(rules);
    }

    /** The key of {@code constitution.updated} and of Redis {@code constitution:{tenant}}: the tenant or "global". */
    public String scope() {
        return tenant == null ? GLOBAL_SCOPE : tenant;
    }
}
