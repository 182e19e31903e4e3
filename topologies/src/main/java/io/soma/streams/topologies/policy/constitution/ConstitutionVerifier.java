package io.soma.streams.topologies.policy.constitution;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.soma.streams.topologies.policy.constitution.VerificationResult.Reason;
import io.soma.streams.topologies.policy.constitution.VerificationResult.Rejection;
import io.soma.streams.topologies.policy.constitution.VerificationResult.Verified;
import io.soma.streams.topologies.policy.rules.Rule;
import io.soma.streams.topologies.policy.rules.RulePackJson;
import io.soma.streams.topologies.policy.rules.RulePackProblem;
import io.soma.streams.topologies.policy.rules.RulePackValidator;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
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
 * once for rotation), signature valid for that key's algorithm over the {@link ConstitutionEnvelope} (document,
 * version, tenant, issue time), global rules valid, and last the version strictly newer than the active one, so
 * only an authentic bundle is ever reported stale. The policy stream and the edge use the same instance.
 * <p>
 * A signature over the canonical document alone (how bundles were signed before the envelope) is refused as
 * {@code LEGACY_SIGNATURE} unless {@link DocumentOnlySignatures#ACCEPT} is chosen: such a signature binds neither
 * version nor tenant, so anyone who may publish could replay the document under any of them.
 */
public final class ConstitutionVerifier {
    /** Whether a signature over the document alone still verifies; only for migrating old bundles. */
    public enum DocumentOnlySignatures { REFUSE, ACCEPT }

    private static final Instant EARLIEST_ISSUED = Instant.parse("0000-01-01T00:00:00Z");
    private static final Instant LATEST_ISSUED = Instant.parse("9999-12-31T23:59:59.999Z");

    private final Map<String, TrustedKey> trustedKeys;
    private final DocumentOnlySignatures documentOnly;

    /** Refuses document-only signatures. */
    public ConstitutionVerifier(Collection<TrustedKey> trustedKeys) {
        this(trustedKeys, DocumentOnlySignatures.REFUSE);
    }

    public ConstitutionVerifier(Collection<TrustedKey> trustedKeys, DocumentOnlySignatures documentOnly) {
        this.trustedKeys = trustedKeys.stream().collect(Collectors.toUnmodifiableMap(TrustedKey::keyId, Function.identity()));
        this.documentOnly = documentOnly;
    }

    /**
     * @param active the active constitution of the bundle's scope (same tenant, or global), or null if none
     */
    public VerificationResult verify(SignedBundle bundle, Constitution active) {
        if (Constitution.GLOBAL_SCOPE.equals(bundle.tenant())) {
            // the global scope's own key: a tenant of that name would stand in for the global constitution
            return reject(Reason.MALFORMED, "tenant '" + Constitution.GLOBAL_SCOPE + "' is the global scope's name; "
                    + "a global bundle names no tenant");
        }
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
        // the envelope signs issued_at in epoch milliseconds and the archive stores it: years past 9999 fit neither
        if (bundle.issuedAt().isBefore(EARLIEST_ISSUED) || bundle.issuedAt().isAfter(LATEST_ISSUED)) {
            return reject(Reason.MALFORMED, "issued_at " + bundle.issuedAt() + " is not within the years 0000-9999");
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
        byte[] documentBytes = canonical.getBytes(StandardCharsets.UTF_8);
        String hash = CanonicalJson.sha256Hex(documentBytes);
        if (!hash.equalsIgnoreCase(String.valueOf(bundle.hash()))) {
            return reject(Reason.BAD_HASH, "claimed hash " + bundle.hash() + ", document hashes to " + hash);
        }
        SignedBundle.Signature signature = bundle.signature();
        if (signature == null || signature.value() == null || signature.value().isBlank()) {
            return reject(Reason.MISSING_SIGNATURE, "bundle is not signed");
        }
        TrustedKey key = signature.keyId() == null ? null : trustedKeys.get(signature.keyId());
        if (key == null) {
            return reject(Reason.UNKNOWN_KEY, "no trusted key has id '" + signature.keyId() + "'");
        }
        byte[] envelopeBytes = ConstitutionEnvelope.signedBytes(document, bundle.version(), bundle.issuedAt(), bundle.tenant());
        Optional<Rejection> badSignature = checkSignature(signature, key, envelopeBytes, documentBytes);
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

    private Optional<Rejection> checkSignature(SignedBundle.Signature signature, TrustedKey key, byte[] envelopeBytes,
                                               byte[] documentBytes) {
        Optional<SignatureAlgorithm> algorithm = SignatureAlgorithm.fromBundleName(signature.algorithm());
        if (algorithm.isEmpty() || algorithm.get() != key.algorithm()) {
            return Optional.of(reject(Reason.BAD_SIGNATURE, "algorithm '" + signature.algorithm() + "' does not match key '"
                    + key.keyId() + "' (" + key.algorithm().bundleName() + ")"));
        }
        try {
            byte[] value = base64(signature.value());
            if (key.algorithm().verify(key.key(), envelopeBytes, value)) {
                return Optional.empty();
            }
            if (key.algorithm().verify(key.key(), documentBytes, value)) {
                return documentOnly == DocumentOnlySignatures.ACCEPT ? Optional.empty()
                        : Optional.of(reject(Reason.LEGACY_SIGNATURE, "the signature covers the document only, not its"
                        + " version, tenant and issued_at: re-sign the bundle's " + ConstitutionEnvelope.FORMAT + " envelope"));
            }
            return Optional.of(reject(Reason.BAD_SIGNATURE, "signature does not verify with key '" + key.keyId()
                    + "' over the bundle's document, version, tenant and issued_at"));
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
