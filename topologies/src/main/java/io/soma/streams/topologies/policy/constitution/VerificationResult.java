package io.soma.streams.topologies.policy.constitution;

import io.soma.streams.topologies.policy.rules.WireNames;

/** What {@link ConstitutionVerifier} concluded about one bundle. */
public sealed interface VerificationResult {
    /** The bundle is authentic and newer: it becomes the active constitution of its scope. */
    record Verified(Constitution constitution) implements VerificationResult {
    }

    /** The bundle is refused; the active constitution stays. {@code reason} labels the rejection metric. */
    record Rejection(Reason reason, String message) implements VerificationResult {
    }

    enum Reason {
        MALFORMED, BAD_VERSION, BAD_HASH, MISSING_SIGNATURE, UNKNOWN_KEY, BAD_SIGNATURE, LEGACY_SIGNATURE, STALE_VERSION;

        /** Label value for {@code constitution_rejections_total{reason}} and the DLQ header. */
        public String wire() {
            return WireNames.of(this);
        }
    }
}
