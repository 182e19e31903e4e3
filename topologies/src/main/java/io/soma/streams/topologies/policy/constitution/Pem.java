package io.soma.streams.topologies.policy.constitution;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;

/** PEM text for RSA and Ed25519 keys: public keys as SPKI ("PUBLIC KEY"), private keys as PKCS#8 ("PRIVATE KEY"). */
public final class Pem {
    private static final List<String> KEY_ALGORITHMS = List.of("RSA", "Ed25519");

    private Pem() {
    }

    public static PublicKey readPublicKey(String pem) {
        return read(pem, "PUBLIC KEY", (factory, der) -> factory.generatePublic(new X509EncodedKeySpec(der)));
    }

    /** A PKCS#8 private key. */
    public static PrivateKey readPrivateKey(String pem) {
        return read(pem, "PRIVATE KEY", (factory, der) -> factory.generatePrivate(new PKCS8EncodedKeySpec(der)));
    }

    private interface KeyDecoder<K extends Key> {
        K decode(KeyFactory factory, byte[] der) throws GeneralSecurityException;
    }

    private static <K extends Key> K read(String pem, String label, KeyDecoder<K> decoder) {
        byte[] der = der(pem, label);
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return decoder.decode(KeyFactory.getInstance(algorithm), der);
            } catch (GeneralSecurityException notThisAlgorithm) {
                // try the next one
            }
        }
        throw new IllegalArgumentException("PEM " + label + " is neither RSA nor Ed25519");
    }

    /** PEM text of a public key (SPKI) or private key (PKCS#8). */
    public static String write(Key key) {
        String label = key instanceof PrivateKey ? "PRIVATE KEY" : "PUBLIC KEY";
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(key.getEncoded());
        return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
    }

    private static byte[] der(String pem, String label) {
        String begin = "-----BEGIN " + label + "-----";
        String end = "-----END " + label + "-----";
        int from = pem.indexOf(begin);
        int to = pem.indexOf(end);
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("not a PEM " + label + " (expected " + begin + ")");
        }
        return Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
    }
}
