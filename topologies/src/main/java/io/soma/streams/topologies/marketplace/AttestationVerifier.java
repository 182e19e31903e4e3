package io.soma.streams.topologies.marketplace;

import io.soma.streams.topologies.policy.constitution.CanonicalJson;
import io.soma.streams.topologies.policy.constitution.SignatureAlgorithm;

import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * Decides whether a capsule submission is authentic and new. Checks, in order: well-formed, key known for the
 * publisher (by {@code key_id}), algorithm matching the key and signature valid over the {@link CapsuleEnvelope},
 * then against the versions already attested for the capsule: a version is attested once, so a different manifest
 * under a known version is {@code manifest_changed} and the same one again is {@code replayed_version}. The digest is
 * always recomputed from the manifest received; a submission carries none. Only an authentic submission is ever
 * reported as changed or replayed.
 */
public final class AttestationVerifier {
    /**
     * Why a submission is refused; the wire name goes in the DLQ reason header and the audit record. {@code
     * OTHER_PUBLISHER}, {@code TOO_LARGE} and {@code TOO_MANY_VERSIONS} are the app's, not the verifier's: an
     * authentic version of a capsule another publisher holds, one that would make the catalog entry too large, or
     * one more than a capsule may hold.
     */
    public enum Reason {
        MALFORMED, UNKNOWN_KEY, BAD_SIGNATURE, MANIFEST_CHANGED, REPLAYED_VERSION, OTHER_PUBLISHER, TOO_LARGE,
        TOO_MANY_VERSIONS;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public sealed interface Result permits Attested, Refused {
    }

    /** Authentic and new: the recomputed digest, and the key and algorithm that vouched for it. */
    public record Attested(String digest, String keyId, SignatureAlgorithm algorithm) implements Result {
    }

    public record Refused(Reason reason, String message) implements Result {
    }

    /** A trusted key as an attestation names it: key ids are a publisher's own, two publishers may use the same. */
    private record KeyName(String publisher, String keyId) {
    }

    private final Map<KeyName, PublisherKey> keys;

    /** @throws IllegalArgumentException when a publisher has two keys of one id */
    public AttestationVerifier(Collection<PublisherKey> trustedKeys) {
        this.keys = trustedKeys.stream().collect(Collectors.toUnmodifiableMap(
                k -> new KeyName(k.publisher(), k.keyId()), Function.identity(), (a, b) -> {
                    throw new IllegalArgumentException("publisher '" + a.publisher() + "' has two trusted keys with id '"
                            + a.keyId() + "'");
                }));
    }

    /**
     * @param attestedDigest a version already accepted for this capsule → its digest; null for any other version
     */
    public Result verify(String capsuleId, String publisher, CapsuleManifest manifest, Attestation attestation,
                         UnaryOperator<String> attestedDigest) {
        if (capsuleId == null || capsuleId.isBlank() || publisher == null || publisher.isBlank()) {
            return new Refused(Reason.MALFORMED, "capsule_id and publisher are required");
        }
        if (attestation == null || attestation.signature() == null || attestation.signature().isBlank()) {
            return new Refused(Reason.BAD_SIGNATURE, "submission is not signed");
        }
        PublisherKey key = keys.get(new KeyName(publisher, attestation.keyId()));
        if (key == null) {
            return new Refused(Reason.UNKNOWN_KEY, "no trusted key '" + attestation.keyId() + "' for publisher '"
                    + publisher + "'");
        }
        SignatureAlgorithm algorithm = key.key().algorithm();
        if (!SignatureAlgorithm.fromBundleName(attestation.algorithm()).equals(Optional.of(algorithm))) {
            return new Refused(Reason.BAD_SIGNATURE, "algorithm '" + attestation.algorithm() + "' does not match key '"
                    + key.keyId() + "' (" + algorithm.bundleName() + ")");
        }
        byte[] signed = CapsuleEnvelope.signedBytes(capsuleId, publisher, manifest);
        try {
            if (!algorithm.verify(key.key().key(), signed, Base64.getDecoder().decode(attestation.signature().trim()))) {
                return new Refused(Reason.BAD_SIGNATURE, "signature does not verify with key '" + key.keyId()
                        + "' over the capsule id, publisher and manifest");
            }
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            return new Refused(Reason.BAD_SIGNATURE, "signature unreadable: " + e.getMessage());
        }
        String digest = CanonicalJson.sha256Hex(signed);
        String known = attestedDigest.apply(manifest.version());
        if (known != null && !known.equals(digest)) {
            return new Refused(Reason.MANIFEST_CHANGED, "version " + manifest.version() + " was attested with digest "
                    + known + ", this manifest hashes to " + digest + ": publish a new version");
        }
        if (known != null) {
            return new Refused(Reason.REPLAYED_VERSION, "version " + manifest.version()
                    + " was already submitted (digest " + digest + ")");
        }
        return new Attested(digest, key.keyId(), algorithm);
    }
}
