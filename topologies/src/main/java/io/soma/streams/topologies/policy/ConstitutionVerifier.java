package io.soma.streams.topologies.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.soma.streams.topologies.policy.VerificationResult.Reason;
import io.soma.streams.topologies.policy.VerificationResult.Rejection;
import io.soma.streams.topologies.policy.VerificationResult.Verified;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Decides whether a bundle may replace the active constitution of its scope. Checks, in order: the version format
 * ({@link ConstitutionVersion}), well-formed (document is a JSON object without duplicate keys), hash (recomputed
 * over the canonical document), signature present, key known (by {@code key_id}; several keys may be trusted at
 * once for rotation), signature valid for that key's algorithm, global rules valid, and last the version strictly
 * newer than the active one, so only an authentic bundle is ever reported stale.
 */
public final class ConstitutionVerifier {
    private final Map<String, TrustedKey> trustedKeys;

    public ConstitutionVerifier(Collection<TrustedKey> trustedKeys) {
        this.trustedKeys = trustedKeys.stream().collect(Collectors.toUnmodifiableMap(TrustedKey::keyId, Function.identity()));
    }

    /**
     * @param active the active constitution of the bundle's scope (same tenant, or global), or null if none
     */
    public VerificationResult verify(SignedBundle bundle, Constitution active) {
        if (active != null && !Objects.equals(active.tenant(), bundle.tenant())) {
            throw new IllegalArgumentException("active constitution is for " + active.scope()
                    + ", bundle for " + (bundle.tenant() == null ? Constitution.GLOBAL_SCOPE : bundle.tenant()));
        }
        if (!ConstitutionVersion.isValid(bundle.version())) {
            return reject(Reason.BAD_VERSION, "version '" + bundle.version() + "' is not " + ConstitutionVersion.DESCRIPTION);
        }
        if (bundle.documentJson() == null || bundle.issuedAt() == null) {
            return reject(Reason.MALFORMED, "document and issued_at are required");
        }
        JsonNode document;
        try {
            document = CanonicalJson.parse(bundle.documentJson());
        } catch (JsonProcessingException e) {
            return reject(Reason.MALFORMED, "document is not valid JSON: " + e.getOriginalMessage());
        }
        if (document == null || !document.isObject()) {
            return reject(Reason.MALFORMED, "document must be a JSON object");
        }
        String canonical = CanonicalJson.write(document);
        byte[] signedBytes = canonical.getBytes(StandardCharsets.UTF_8);
        String hash = CanonicalJson.sha256Hex(signedBytes);
        if (!hash.equalsIgnoreCase(String.valueOf(bundle.hash()))) {
            return reject(Reason.BAD_HASH, "claimed hash " + bundle.hash() + ", document hashes to " + hash);
        }
        SignedBundle.Signature signature = bundle.signature();
        if (signature == null || signature.value() == null || signature.value().isBlank()) {
            return reject(Reason.MISSING_SIGNATURE, "bundle is not signed");
        }
        TrustedKey key = trustedKeys.get(signature.keyId());
        if (key == null) {
            return reject(Reason.UNKNOWN_KEY, "no trusted key has id '" + signature.keyId() + "'");
        }
        Optional<Rejection> badSignature = checkSignature(signature, key, signedBytes);
        if (badSignature.isPresent()) {
            return badSignature.get();
        }
        List<RulePackProblem> problems = new ArrayList<>();
        List<Rule> rules = RulePackJson.readRules(document.path("rules"), problems);
        problems.addAll(RulePackValidator.validateRules(rules));
        if (!problems.isEmpty()) {
            return reject(Reason.MALFORMED, "invalid global rules: " + problems);
        }
        if (active != null && ConstitutionVersion.compare(bundle.version(), active.version()) <= 0) {
            return reject(Reason.STALE_VERSION, "version " + bundle.version() + " is not newer than active " + active.version());
        }
        return new Verified(new Constitution(bundle.tenant(), bundle.version(), bundle.issuedAt(), hash, canonical,
                document.hasNonNull("title") ? document.get("title").asText() : null, rules, key.keyId(),
                key.algorithm()));
    }

    private static Optional<Rejection> checkSignature(SignedBundle.Signature signature, TrustedKey key, byte[] signedBytes) {
        Optional<SignatureAlgorithm> algorithm = SignatureAlgorithm.fromBundleName(signature.algorithm());
        if (algorithm.isEmpty() || algorithm.get() != key.algorithm()) {
            return Optional.of(reject(Reason.BAD_SIGNATURE, "algorithm '" + signature.algorithm() + "' does not match key '"
                    + key.keyId() + "' (" + key.algorithm().bundleName() + ")"));
        }
        try {
            if (key.algorithm().verify(key.key(), signedBytes, base64(signature.value()))) {
                return Optional.empty();
            }
            return Optional.of(reject(Reason.BAD_SIGNATURE, "signature does not verify with key '" + key.keyId() + "'"));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            return Optional.of(reject(Reason.BAD_SIGNATURE, "signature unreadable: " + e.getMessage()));
        }
    }

    private static byte[] base64(String value) {
        String trimmed = value.trim();
        boolean urlSafe = trimmed.indexOf('-') >= 0 || trimmed.indexOf('_') >= 0;
        return (urlSafe ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(trimmed);
    }

    private static Rejection reject(Reason reason, String message) {
        return new Rejection(reason, message);
    }
}
