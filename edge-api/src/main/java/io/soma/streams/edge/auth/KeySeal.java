package io.soma.streams.edge.auth;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.DirectDecrypter;
import com.nimbusds.jose.crypto.DirectEncrypter;
import com.nimbusds.jose.jwk.ECKey;

import javax.crypto.spec.SecretKeySpec;
import java.security.SecureRandom;
import java.text.ParseException;
import java.util.Base64;
import java.util.Optional;

/**
 * How private signing keys are written to Redis: sealed with the wrap secret (32 bytes, from configuration, never
 * from Redis), each JWK is stored as a JWE ({@code dir}, A256GCM), so read access to Redis alone cannot mint
 * tokens. There is no unsealed mode. An {@link ECKey} is never logged: its {@code toString()} prints the private
 * part.
 */
public final class KeySeal {
    private static final int SECRET_BYTES = 32;
    private static final SecureRandom random = new SecureRandom();
    private final SecretKeySpec wrapKey;

    private KeySeal(SecretKeySpec wrapKey) {
        this.wrapKey = wrapKey;
    }

    public static KeySeal withSecret(byte[] secret) {
        if (secret.length != SECRET_BYTES) {
            throw new IllegalArgumentException("the key wrap secret must be " + SECRET_BYTES + " bytes, got "
                    + secret.length);
        }
        return new KeySeal(new SecretKeySpec(secret, "AES"));
    }

    /** A fresh random wrap secret, in base64 as {@code identity.keys.wrap.secret} takes it. */
    public static String newWrapSecret() {
        byte[] secret = new byte[SECRET_BYTES];
        random.nextBytes(secret);
        return Base64.getEncoder().encodeToString(secret);
    }

    String seal(ECKey key) {
        try {
            JWEObject jwe = new JWEObject(new JWEHeader(JWEAlgorithm.DIR, EncryptionMethod.A256GCM),
                    new Payload(key.toJSONString()));
            jwe.encrypt(new DirectEncrypter(wrapKey));
            return jwe.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot seal signing key " + key.getKeyID(), e);
        }
    }

    /** The key sealed in {@code stored}; empty when this wrap secret cannot open it (sealed with another one). */
    Optional<ECKey> open(String stored) {
        try {
            JWEObject jwe = JWEObject.parse(stored);
            jwe.decrypt(new DirectDecrypter(wrapKey));
            return Optional.of(ECKey.parse(jwe.getPayload().toString()));
        } catch (ParseException | JOSEException e) {
            // nothing of the exception is kept: a parse error may quote the key material
            return Optional.empty();
        }
    }
}
