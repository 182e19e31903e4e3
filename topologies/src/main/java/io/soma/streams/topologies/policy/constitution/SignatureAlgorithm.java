package io.soma.streams.topologies.policy.constitution;

import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Optional;

/** The constitution signature algorithms, by the names bundles carry. */
public enum SignatureAlgorithm {
    /** RSA PKCS#1 v1.5 with SHA-256, kept for existing publishers (docs/policy.md). */
    RS256("RS256", "SHA256withRSA", "RSA"),
    /** Ed25519. */
    EDDSA("EdDSA", "Ed25519", "EdDSA");

    private final String bundleName;
    private final String jcaName;
    private final String keyAlgorithm;

    SignatureAlgorithm(String bundleName, String jcaName, String keyAlgorithm) {
        this.bundleName = bundleName;
        this.jcaName = jcaName;
        this.keyAlgorithm = keyAlgorithm;
    }

    /** The name in a bundle's {@code signature.algorithm}: {@code RS256} or {@code EdDSA}. */
    public String bundleName() {
        return bundleName;
    }

    public static Optional<SignatureAlgorithm> fromBundleName(String name) {
        for (SignatureAlgorithm a : values()) {
            if (a.bundleName.equalsIgnoreCase(name)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** The algorithm a key is for: RSA keys sign RS256, Ed25519 keys EdDSA. */
    public static SignatureAlgorithm forKey(java.security.Key key) {
        return switch (key.getAlgorithm()) {
            case "RSA" -> RS256;
            case "EdDSA", "Ed25519" -> EDDSA;
            default -> throw new IllegalArgumentException("unsupported key algorithm " + key.getAlgorithm()
                    + " (use RSA or Ed25519)");
        };
    }

    String keyAlgorithm() {
        return keyAlgorithm;
    }

    public byte[] sign(PrivateKey key, byte[] data) throws GeneralSecurityException {
        Signature signer = Signature.getInstance(jcaName);
        signer.initSign(key);
        signer.update(data);
        return signer.sign();
    }

    public boolean verify(PublicKey key, byte[] data, byte[] signature) throws GeneralSecurityException {
        if (this == EDDSA) {
            return verifyEd25519(key, data, signature);
        }
        Signature verifier = Signature.getInstance(jcaName);
        verifier.initVerify(key);
        verifier.update(data);
        return verifier.verify(signature);
    }

    /**
     * RFC 8032 Ed25519 by Bouncy Castle: JDK 17's own took 1.6–2 ms a verification here, Bouncy Castle's 0.2–0.3 ms
     * (docs/benchmarks.md, marketplace), and the marketplace verifies every submission. The same signatures verify
     * ({@code SignatureAlgorithmTest}).
     */
    private static boolean verifyEd25519(PublicKey key, byte[] data, byte[] signature) throws GeneralSecurityException {
        AsymmetricKeyParameter parameters;
        try {
            parameters = PublicKeyFactory.createKey(key.getEncoded());
        } catch (IOException | RuntimeException e) {
            throw new InvalidKeyException("not an Ed25519 public key: " + e.getMessage(), e);
        }
        if (!(parameters instanceof Ed25519PublicKeyParameters ed25519)) {
            throw new InvalidKeyException("not an Ed25519 public key (" + key.getAlgorithm() + ")");
        }
        return signature.length == Ed25519.SIGNATURE_SIZE
                && ed25519.verify(Ed25519.Algorithm.Ed25519, null, data, 0, data.length, signature, 0);
    }
}
