package io.soma.streams.edge.auth;

import java.util.Locale;

/** The outcome of checking a bearer token. */
public sealed interface TokenVerification {

    /** @param constitutionHash the constitution the token was issued under; null when none was active */
    record Valid(Principal principal, String constitutionHash) implements TokenVerification {
    }

    /** @param message says what is wrong, for the caller (never echoes the token) */
    record Invalid(Reason reason, String message) implements TokenVerification {
    }

    enum Reason {
        MALFORMED, UNSUPPORTED_ALGORITHM, UNKNOWN_KEY, BAD_SIGNATURE, MISSING_CLAIMS, EXPIRED, NOT_YET_VALID, REVOKED;

        /** As it appears in JSON answers: {@code unknown_key}. */
        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
