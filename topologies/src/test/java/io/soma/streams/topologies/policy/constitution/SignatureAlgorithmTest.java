package io.soma.streams.topologies.policy.constitution;

import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.marketplace.CapsuleEnvelope;
import io.soma.streams.topologies.marketplace.ExampleCapsulePublisher;
import io.soma.streams.topologies.marketplace.McpRegistry;
import org.junit.jupiter.api.Test;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Ed25519 verification gives the JDK's answer on genuine, tampered and misaddressed signatures of real capsules. */
class SignatureAlgorithmTest {
    private static final List<byte[]> SIGNED = McpRegistry.read(McpRegistry.file(TestPaths.dataDir())).stream()
            .map(e -> CapsuleEnvelope.signedBytes(e.capsuleId(), ExampleCapsulePublisher.PUBLISHER, e.manifest()))
            .toList();
    private static final KeyPair KEY = pair("Ed25519");
    private static final KeyPair OTHER_KEY = pair("Ed25519");

    @Test
    void shouldAgreeWithTheJdkOnEveryRegistryEntryItsTamperedSignatureAndAnotherKey() throws Exception {
        int genuine = 0;
        for (byte[] data : SIGNED) {
            byte[] signature = SignatureAlgorithm.EDDSA.sign(KEY.getPrivate(), data);
            byte[] tamperedSignature = signature.clone();
            tamperedSignature[data.length % signature.length] ^= 0x01;
            byte[] tamperedData = Arrays.copyOf(data, data.length + 1);

            for (Case c : List.of(new Case(KEY.getPublic(), data, signature),
                    new Case(KEY.getPublic(), data, tamperedSignature),
                    new Case(KEY.getPublic(), tamperedData, signature),
                    new Case(OTHER_KEY.getPublic(), data, signature))) {
                assertThat(SignatureAlgorithm.EDDSA.verify(c.key(), c.data(), c.signature()))
                        .isEqualTo(jdkVerifies(c));
            }
            genuine += SignatureAlgorithm.EDDSA.verify(KEY.getPublic(), data, signature) ? 1 : 0;
        }
        assertThat(genuine).isEqualTo(SIGNED.size()).isEqualTo(471);
    }

    @Test
    void shouldRefuseASignatureOfTheWrongLength() throws Exception {
        byte[] data = SIGNED.get(0);
        byte[] signature = SignatureAlgorithm.EDDSA.sign(KEY.getPrivate(), data);

        assertThat(SignatureAlgorithm.EDDSA.verify(KEY.getPublic(), data, Arrays.copyOf(signature, 63))).isFalse();
        assertThat(SignatureAlgorithm.EDDSA.verify(KEY.getPublic(), data, Arrays.copyOf(signature, 65))).isFalse();
        assertThat(SignatureAlgorithm.EDDSA.verify(KEY.getPublic(), data, new byte[0])).isFalse();
    }

    @Test
    void shouldRefuseAKeyThatIsNotEd25519() {
        for (KeyPair other : List.of(pair("Ed448"), pair("RSA"))) {
            assertThatThrownBy(() -> SignatureAlgorithm.EDDSA.verify(other.getPublic(), SIGNED.get(0), new byte[64]))
                    .isInstanceOf(InvalidKeyException.class).hasMessageContaining("not an Ed25519 public key");
        }
    }

    /** A signature the JDK cannot even decode ("Invalid point") does not verify either: the caller refuses both. */
    private static boolean jdkVerifies(Case c) throws GeneralSecurityException {
        Signature jdk = Signature.getInstance("Ed25519");
        jdk.initVerify(c.key());
        jdk.update(c.data());
        try {
            return jdk.verify(c.signature());
        } catch (SignatureException e) {
            return false;
        }
    }

    private static KeyPair pair(String algorithm) {
        try {
            return KeyPairGenerator.getInstance(algorithm).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Case(PublicKey key, byte[] data, byte[] signature) {
    }
}
