package io.soma.streams.topologies.policy.constitution;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Objects;

/** A public key trusted to sign constitutions, under the {@code key_id} bundles name it by. */
public record TrustedKey(String keyId, PublicKey key, SignatureAlgorithm algorithm) {
    public static final int MIN_RSA_BITS = 2048;

    public TrustedKey {
        Objects.requireNonNull(keyId, "keyId");
        if (algorithm != SignatureAlgorithm.forKey(key)) {
            throw new IllegalArgumentException("key " + keyId + " is a " + key.getAlgorithm() + " key, not for " + algorithm);
        }
        if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < MIN_RSA_BITS) {
            throw new IllegalArgumentException("RSA key " + keyId + " is shorter than " + MIN_RSA_BITS + " bits");
        }
    }

    /** The algorithm follows from the key: RSA → RS256, Ed25519 → EdDSA. */
    public static TrustedKey fromPem(String keyId, String pem) {
        PublicKey key = Pem.readPublicKey(pem);
        return new TrustedKey(keyId, key, SignatureAlgorithm.forKey(key));
    }

    public static TrustedKey fromPemFile(String keyId, Path pemFile) {
        try {
            return fromPem(keyId, Files.readString(pemFile));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read trusted key " + keyId + " from " + pemFile, e);
        }
    }
}
