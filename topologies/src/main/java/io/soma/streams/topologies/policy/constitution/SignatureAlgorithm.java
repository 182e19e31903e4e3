package io.soma.streams.topologies.policy.constitution;

import java.security.GeneralSecurityException;
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
        Signature verifier = Signature.getInstance(jcaName);
        verifier.initVerify(key);
        verifier.update(data);
        return verifier.verify(signature);
    }
}
