package io.soma.streams.topologies.marketplace;

import io.soma.streams.topologies.policy.constitution.SignatureAlgorithm;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.util.Base64;

/** A publisher's signature over a capsule's {@link CapsuleEnvelope}: which key, which algorithm, the signature (Base64). */
public record Attestation(String keyId, String algorithm, String signature) {

    /** Signs the envelope of {@code manifest} with an RSA (RS256) or Ed25519 (EdDSA) private key. */
    public static Attestation sign(String capsuleId, String publisher, CapsuleManifest manifest, String keyId,
                                   PrivateKey key) {
        SignatureAlgorithm algorithm = SignatureAlgorithm.forKey(key);
        try {
            byte[] signature = algorithm.sign(key, CapsuleEnvelope.signedBytes(capsuleId, publisher, manifest));
            return new Attestation(keyId, algorithm.bundleName(), Base64.getEncoder().encodeToString(signature));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign capsule " + capsuleId + " with key " + keyId, e);
        }
    }
}
