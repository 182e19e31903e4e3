package io.soma.streams.topologies.marketplace;

import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.marketplace.AttestationVerifier.Attested;
import io.soma.streams.topologies.marketplace.AttestationVerifier.Reason;
import io.soma.streams.topologies.marketplace.AttestationVerifier.Refused;
import io.soma.streams.topologies.marketplace.AttestationVerifier.Result;
import io.soma.streams.topologies.policy.constitution.SignatureAlgorithm;
import io.soma.streams.topologies.policy.constitution.TrustedKey;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Attestations of real registry entries: genuine ones verify, every forgery is refused with its reason. */
class AttestationVerifierTest {
    private static final Path EXAMPLE_PRIVATE_KEY =
            Path.of("example-signing/example-publisher-key.DO-NOT-USE-IN-PRODUCTION.pem");
    private static final List<McpRegistry.Entry> ENTRIES = McpRegistry.read(McpRegistry.file(TestPaths.dataDir()));
    private static final McpRegistry.Entry ENTRY = ENTRIES.get(0);
    private static final String PUBLISHER = ExampleCapsulePublisher.PUBLISHER;
    private static final PrivateKey EXAMPLE_KEY = ExampleCapsulePublisher.privateKey(EXAMPLE_PRIVATE_KEY);
    private static final KeyPair OTHER_PUBLISHER = pair("RSA");
    /** A capsule with no version attested yet. */
    private static final UnaryOperator<String> NONE_ATTESTED = version -> null;
    private static final AttestationVerifier VERIFIER = new AttestationVerifier(List.of(
            ExampleCapsulePublisher.publisherKey(),
            new PublisherKey("other-publisher", new TrustedKey("other-rsa-1", OTHER_PUBLISHER.getPublic(),
                    SignatureAlgorithm.RS256))));

    @Test
    void shouldAttestEveryRegistryEntrySignedWithTheExampleKeyAndRefuseTheBlankOnes() {
        int attested = 0;
        for (McpRegistry.Entry entry : ENTRIES) {
            Result result = VERIFIER.verify(entry.capsuleId(), PUBLISHER, entry.manifest(),
                    ExampleCapsulePublisher.attest(entry, EXAMPLE_KEY), NONE_ATTESTED);
            if (entry.capsuleId().isEmpty()) {
                // the seed file holds 7 entries whose every field is empty: no id to key them by
                assertRefused(result, Reason.MALFORMED);
            } else {
                assertThat(result).as(entry.manifest().name()).isInstanceOf(Attested.class);
                attested++;
            }
        }
        assertThat(attested).isEqualTo(464);
    }

    @Test
    void shouldAttestRs256AsWellAsEd25519() {
        Attestation rsa = Attestation.sign(ENTRY.capsuleId(), "other-publisher", ENTRY.manifest(), "other-rsa-1",
                OTHER_PUBLISHER.getPrivate());

        Result result = VERIFIER.verify(ENTRY.capsuleId(), "other-publisher", ENTRY.manifest(), rsa, NONE_ATTESTED);

        assertThat(result).isInstanceOfSatisfying(Attested.class,
                a -> assertThat(a.algorithm()).isEqualTo(SignatureAlgorithm.RS256));
    }

    @Test
    void shouldRefuseATamperedManifestAsABadSignature() {
        Attestation genuine = ExampleCapsulePublisher.attest(ENTRY, EXAMPLE_KEY);
        CapsuleManifest tampered = withDescription(ENTRY.manifest(), ENTRY.manifest().description() + " ");

        assertRefused(verify(tampered, genuine, NONE_ATTESTED), Reason.BAD_SIGNATURE);
    }

    @Test
    void shouldRefuseASignatureMovedToAnotherCapsuleOrPublisher() {
        Attestation genuine = ExampleCapsulePublisher.attest(ENTRY, EXAMPLE_KEY);

        assertRefused(VERIFIER.verify(ENTRIES.get(1).capsuleId(), PUBLISHER, ENTRY.manifest(), genuine, NONE_ATTESTED),
                Reason.BAD_SIGNATURE);
        assertRefused(VERIFIER.verify(ENTRY.capsuleId(), "other-publisher", ENTRY.manifest(), genuine, NONE_ATTESTED),
                Reason.UNKNOWN_KEY);
    }

    @Test
    void shouldRefuseAKeyNobodyTrustsAsUnknown() {
        Attestation unknown = Attestation.sign(ENTRY.capsuleId(), PUBLISHER, ENTRY.manifest(), "not-trusted-1",
                pair("Ed25519").getPrivate());

        assertRefused(verify(ENTRY.manifest(), unknown, NONE_ATTESTED), Reason.UNKNOWN_KEY);
    }

    @Test
    void shouldRefuseAnotherPublishersKeyAsUnknownForThisPublisher() {
        Attestation byOther = Attestation.sign(ENTRY.capsuleId(), PUBLISHER, ENTRY.manifest(), "other-rsa-1",
                OTHER_PUBLISHER.getPrivate());

        assertRefused(verify(ENTRY.manifest(), byOther, NONE_ATTESTED), Reason.UNKNOWN_KEY);
    }

    @Test
    void shouldTellApartTwoPublishersKeysOfTheSameId() {
        KeyPair otherEd25519 = pair("Ed25519");
        AttestationVerifier verifier = new AttestationVerifier(List.of(ExampleCapsulePublisher.publisherKey(),
                new PublisherKey("other-publisher", new TrustedKey(ExampleCapsulePublisher.KEY_ID,
                        otherEd25519.getPublic(), SignatureAlgorithm.EDDSA))));
        Attestation byOther = Attestation.sign(ENTRY.capsuleId(), "other-publisher", ENTRY.manifest(),
                ExampleCapsulePublisher.KEY_ID, otherEd25519.getPrivate());

        assertThat(verifier.verify(ENTRY.capsuleId(), PUBLISHER, ENTRY.manifest(),
                ExampleCapsulePublisher.attest(ENTRY, EXAMPLE_KEY), NONE_ATTESTED)).isInstanceOf(Attested.class);
        assertThat(verifier.verify(ENTRY.capsuleId(), "other-publisher", ENTRY.manifest(), byOther, NONE_ATTESTED))
                .isInstanceOf(Attested.class);
        // each key vouches for its own publisher only
        assertRefused(verifier.verify(ENTRY.capsuleId(), PUBLISHER, ENTRY.manifest(),
                Attestation.sign(ENTRY.capsuleId(), PUBLISHER, ENTRY.manifest(), ExampleCapsulePublisher.KEY_ID,
                        otherEd25519.getPrivate()), NONE_ATTESTED), Reason.BAD_SIGNATURE);
        assertThatThrownBy(() -> new AttestationVerifier(List.of(ExampleCapsulePublisher.publisherKey(),
                new PublisherKey(PUBLISHER, new TrustedKey(ExampleCapsulePublisher.KEY_ID, otherEd25519.getPublic(),
                        SignatureAlgorithm.EDDSA))))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("two trusted keys with id");
    }

    @Test
    void shouldRefuseTheWrongKeyUnderATrustedKeyIdAsABadSignature() {
        Attestation wrongKey = Attestation.sign(ENTRY.capsuleId(), PUBLISHER, ENTRY.manifest(),
                ExampleCapsulePublisher.KEY_ID, pair("Ed25519").getPrivate());
        Attestation genuine = ExampleCapsulePublisher.attest(ENTRY, EXAMPLE_KEY);
        Attestation wrongAlgorithm = new Attestation(genuine.keyId(), "RS256", genuine.signature());

        assertRefused(verify(ENTRY.manifest(), wrongKey, NONE_ATTESTED), Reason.BAD_SIGNATURE);
        assertRefused(verify(ENTRY.manifest(), wrongAlgorithm, NONE_ATTESTED), Reason.BAD_SIGNATURE);
        assertRefused(verify(ENTRY.manifest(), new Attestation(genuine.keyId(), genuine.algorithm(), ""), NONE_ATTESTED),
                Reason.BAD_SIGNATURE);
    }

    @Test
    void shouldRefuseAChangedManifestUnderAnAttestedVersion() {
        String firstDigest = digestOf(ENTRY.manifest());
        CapsuleManifest changed = withDescription(ENTRY.manifest(), "now does something else");
        Attestation signedChange = Attestation.sign(ENTRY.capsuleId(), PUBLISHER, changed,
                ExampleCapsulePublisher.KEY_ID, EXAMPLE_KEY);

        Result result = verify(changed, signedChange, Map.of(ENTRY.manifest().version(), firstDigest)::get);

        assertRefused(result, Reason.MANIFEST_CHANGED);
    }

    @Test
    void shouldRefuseAReplayOfAnOldVersionAndAcceptANewOne() {
        CapsuleManifest v1 = ENTRY.manifest();
        CapsuleManifest v2 = withVersion(v1, "0.0.2");
        Map<String, String> attested = Map.of(v1.version(), digestOf(v1), v2.version(), digestOf(v2));
        CapsuleManifest v3 = withVersion(v1, "0.0.3");

        assertRefused(verify(v1, ExampleCapsulePublisher.attest(ENTRY, EXAMPLE_KEY), attested::get), Reason.REPLAYED_VERSION);
        assertThat(verify(v3, Attestation.sign(ENTRY.capsuleId(), PUBLISHER, v3, ExampleCapsulePublisher.KEY_ID,
                EXAMPLE_KEY), attested::get)).isInstanceOf(Attested.class);
    }

    private static Result verify(CapsuleManifest manifest, Attestation attestation, UnaryOperator<String> attested) {
        return VERIFIER.verify(ENTRY.capsuleId(), PUBLISHER, manifest, attestation, attested);
    }

    private static String digestOf(CapsuleManifest manifest) {
        Result result = verify(manifest, Attestation.sign(ENTRY.capsuleId(), PUBLISHER, manifest,
                ExampleCapsulePublisher.KEY_ID, EXAMPLE_KEY), NONE_ATTESTED);
        return ((Attested) result).digest();
    }

    private static void assertRefused(Result result, Reason reason) {
        assertThat(result).isInstanceOfSatisfying(Refused.class, r -> assertThat(r.reason()).as(r.message()).isEqualTo(reason));
    }

    static CapsuleManifest withDescription(CapsuleManifest m, String description) {
        return new CapsuleManifest(m.name(), description, m.repositoryUrl(), m.repositorySource(), m.version(), m.packages());
    }

    static CapsuleManifest withVersion(CapsuleManifest m, String version) {
        return new CapsuleManifest(m.name(), m.description(), m.repositoryUrl(), m.repositorySource(), version, m.packages());
    }

    static KeyPair pair(String algorithm) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
            if (algorithm.equals("RSA")) {
                generator.initialize(2048);
            }
            return generator.generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
