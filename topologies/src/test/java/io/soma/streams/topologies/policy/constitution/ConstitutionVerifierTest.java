package io.soma.streams.topologies.policy.constitution;

import io.soma.streams.topologies.policy.constitution.VerificationResult.Reason;
import io.soma.streams.topologies.policy.constitution.VerificationResult.Rejection;
import io.soma.streams.topologies.policy.constitution.VerificationResult.Verified;
import io.soma.streams.topologies.policy.example.ExamplePolicy;
import io.soma.streams.topologies.policy.rules.Rule;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ConstitutionVerifierTest {
    private static final String DOCUMENT = """
            {"title":"T","preamble":"p","principles":[{"id":"P1","title":"t","body":"b"}],
             "enforcement":{},"revision_history":[],
             "rules":[{"name":"g","pattern":"nerve agent","weight":0.9,"severity":"critical"}]}""";
    private static final Instant ISSUED = Instant.parse("2025-03-01T00:00:00Z");

    private static KeyPair pair(String algorithm) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
        if (algorithm.equals("RSA")) {
            generator.initialize(2048);
        }
        return generator.generateKeyPair();
    }

    private static Reason reason(VerificationResult result) {
        assertThat(result).isInstanceOf(Rejection.class);
        return ((Rejection) result).reason();
    }

    @Test
    void shouldVerifyTheCommittedExampleBundle() {
        Constitution c = ExamplePolicy.constitution();

        assertThat(c.version()).isEqualTo("1.0.0");
        assertThat(c.scope()).isEqualTo("global");
        assertThat(c.algorithm()).isEqualTo(SignatureAlgorithm.EDDSA);
        assertThat(c.hash()).isEqualTo(CanonicalJson.sha256Hex(c.canonicalDocument().getBytes(StandardCharsets.UTF_8)));
        assertThat(c.rules()).isNotEmpty();
    }

    @Test
    void shouldVerifyRs256AndEd25519WithSeveralTrustedKeys() throws Exception {
        KeyPair rsa = pair("RSA");
        KeyPair ed = pair("Ed25519");
        ConstitutionVerifier verifier = new ConstitutionVerifier(List.of(
                TrustedKey.fromPem("old-rsa", Pem.write(rsa.getPublic())),
                TrustedKey.fromPem("new-ed", Pem.write(ed.getPublic()))));

        VerificationResult byRsa = verifier.verify(
                ConstitutionSigner.sign(DOCUMENT, "1.0.0", ISSUED, null, "old-rsa", rsa.getPrivate()), null);
        VerificationResult byEd = verifier.verify(
                ConstitutionSigner.sign(DOCUMENT, "1.0.1", ISSUED, "acme", "new-ed", ed.getPrivate()), null);

        assertThat(byRsa).isInstanceOfSatisfying(Verified.class, v -> {
            assertThat(v.constitution().algorithm()).isEqualTo(SignatureAlgorithm.RS256);
            assertThat(v.constitution().rules()).extracting(Rule::name).containsExactly("g");
            assertThat(v.constitution().title()).isEqualTo("T");
        });
        assertThat(byEd).isInstanceOfSatisfying(Verified.class, v -> assertThat(v.constitution().scope()).isEqualTo("acme"));
    }

    @Test
    void shouldRejectEachKindOfBadBundleWithItsReason() throws Exception {
        KeyPair ed = pair("Ed25519");
        KeyPair rsa = pair("RSA");
        ConstitutionVerifier verifier = new ConstitutionVerifier(List.of(
                TrustedKey.fromPem("k", Pem.write(ed.getPublic())), TrustedKey.fromPem("r", Pem.write(rsa.getPublic()))));
        SignedBundle good = ConstitutionSigner.sign(DOCUMENT, "2.0.0", ISSUED, null, "k", ed.getPrivate());
        Constitution active = ((Verified) verifier.verify(good, null)).constitution();
        String tampered = DOCUMENT.replace("\"T\"", "\"T2\"");

        assertThat(reason(verifier.verify(withDocument(good, tampered), null))).isEqualTo(Reason.BAD_HASH);
        assertThat(reason(verifier.verify(withSignature(good, null), null))).isEqualTo(Reason.MISSING_SIGNATURE);
        assertThat(reason(verifier.verify(withSignature(good,
                new SignedBundle.Signature("EdDSA", good.signature().value(), "stranger")), null))).isEqualTo(Reason.UNKNOWN_KEY);
        assertThat(reason(verifier.verify(withSignature(good,
                new SignedBundle.Signature("EdDSA", good.signature().value(), null)), null))).isEqualTo(Reason.UNKNOWN_KEY);
        // a year the envelope's epoch milliseconds cannot hold: refused before the envelope is built
        assertThat(reason(verifier.verify(new SignedBundle("2.0.0", Instant.parse("+300000000-01-01T00:00:00Z"),
                DOCUMENT, good.hash(), good.signature(), null), null))).isEqualTo(Reason.MALFORMED);
        SignedBundle otherKey = ConstitutionSigner.sign(DOCUMENT, "2.0.0", ISSUED, null, "k", pair("Ed25519").getPrivate());
        assertThat(reason(verifier.verify(otherKey, null))).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(reason(verifier.verify(withSignature(good,
                new SignedBundle.Signature("RS256", good.signature().value(), "k")), null))).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(reason(verifier.verify(withSignature(good,
                new SignedBundle.Signature("EdDSA", "not base64!", "k")), null))).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(reason(verifier.verify(good, active))).isEqualTo(Reason.STALE_VERSION);
        assertThat(reason(verifier.verify(
                ConstitutionSigner.sign(DOCUMENT, "1.9.9", ISSUED, null, "k", ed.getPrivate()), active))).isEqualTo(Reason.STALE_VERSION);
        assertThat(verifier.verify(
                ConstitutionSigner.sign(DOCUMENT, "2.0.10", ISSUED, null, "r", rsa.getPrivate()), active)).isInstanceOf(Verified.class);
        assertThat(reason(verifier.verify(new SignedBundle("v2", ISSUED, DOCUMENT, good.hash(), good.signature(), null), null)))
                .isEqualTo(Reason.BAD_VERSION);
        assertThat(reason(verifier.verify(ConstitutionSigner.sign(
                DOCUMENT.replace("\"weight\":0.9", "\"weight\":9"), "3", ISSUED, null, "k", ed.getPrivate()), null)))
                .isEqualTo(Reason.MALFORMED);
    }

    @Test
    void shouldBindTheSignatureToVersionTenantAndIssuedAt() throws Exception {
        KeyPair ed = pair("Ed25519");
        ConstitutionVerifier verifier = new ConstitutionVerifier(List.of(TrustedKey.fromPem("k", Pem.write(ed.getPublic()))));
        SignedBundle forAcme = ConstitutionSigner.sign(DOCUMENT, "1.0.0", ISSUED, "acme", "k", ed.getPrivate());
        SignedBundle global = ConstitutionSigner.sign(DOCUMENT, "1.0.0", ISSUED, null, "k", ed.getPrivate());

        assertThat(verifier.verify(forAcme, null)).isInstanceOf(Verified.class);
        assertThat(reason(verifier.verify(withTenant(forAcme, "globex"), null))).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(reason(verifier.verify(withTenant(forAcme, null), null))).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(reason(verifier.verify(withTenant(global, "acme"), null))).isEqualTo(Reason.BAD_SIGNATURE);
        // signed for a tenant named as the global scope: it would govern every tenant without a constitution
        SignedBundle forGlobalByName = ConstitutionSigner.sign(DOCUMENT, "1.0.0", ISSUED, Constitution.GLOBAL_SCOPE,
                "k", ed.getPrivate());
        Constitution activeGlobal = ((Verified) verifier.verify(global, null)).constitution();
        assertThat(reason(verifier.verify(forGlobalByName, null))).isEqualTo(Reason.MALFORMED);
        assertThat(reason(verifier.verify(forGlobalByName, activeGlobal))).isEqualTo(Reason.MALFORMED);
        assertThat(reason(verifier.verify(new SignedBundle("2.0.0", forAcme.issuedAt(), forAcme.documentJson(),
                forAcme.hash(), forAcme.signature(), forAcme.tenant()), null))).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(reason(verifier.verify(new SignedBundle(forAcme.version(), ISSUED.plusMillis(1), forAcme.documentJson(),
                forAcme.hash(), forAcme.signature(), forAcme.tenant()), null))).isEqualTo(Reason.BAD_SIGNATURE);
    }

    @Test
    void shouldRefuseADocumentOnlySignatureUnlessMigrationAcceptsIt() throws Exception {
        KeyPair ed = pair("Ed25519");
        List<TrustedKey> keys = List.of(TrustedKey.fromPem("k", Pem.write(ed.getPublic())));
        SignedBundle legacy = PolicyTestData.documentOnlySigned(DOCUMENT, "1.0.0", ISSUED, "acme", "k", ed);

        VerificationResult refused = new ConstitutionVerifier(keys).verify(legacy, null);
        VerificationResult accepted = new ConstitutionVerifier(keys, ConstitutionVerifier.DocumentOnlySignatures.ACCEPT)
                .verify(legacy, null);

        assertThat(reason(refused)).isEqualTo(Reason.LEGACY_SIGNATURE);
        assertThat(((Rejection) refused).message()).contains("document only");
        assertThat(accepted).isInstanceOfSatisfying(Verified.class, v -> assertThat(v.constitution().scope()).isEqualTo("acme"));
        SignedBundle otherKey = PolicyTestData.documentOnlySigned(DOCUMENT, "1.0.0", ISSUED, "acme", "k", pair("Ed25519"));
        assertThat(reason(new ConstitutionVerifier(keys, ConstitutionVerifier.DocumentOnlySignatures.ACCEPT)
                .verify(otherKey, null))).isEqualTo(Reason.BAD_SIGNATURE);
    }

    /** The bytes docs/policy.md says are signed, so an external signer can produce them. */
    @Test
    void shouldSignExactlyTheDocumentedEnvelopeBytes() throws Exception {
        KeyPair ed = pair("Ed25519");
        SignedBundle bundle = ConstitutionSigner.sign("{ \"title\": \"T\", \"rules\": [] }", "1.2.0",
                Instant.parse("2026-01-01T00:00:00Z"), "acme", "k", ed.getPrivate());
        String documented = "{\"document\":{\"rules\":[],\"title\":\"T\"},\"format\":\"soma.constitution/2\","
                + "\"issued_at\":1767225600000,\"tenant\":\"acme\",\"version\":\"1.2.0\"}";

        assertThat(SignatureAlgorithm.EDDSA.verify(ed.getPublic(), documented.getBytes(StandardCharsets.UTF_8),
                Base64.getDecoder().decode(bundle.signature().value()))).isTrue();
        assertThat(new String(ConstitutionEnvelope.signedBytes(CanonicalJson.parse("{\"title\":\"T\",\"rules\":[]}"),
                "1.2.0", Instant.parse("2026-01-01T00:00:00Z"), null), StandardCharsets.UTF_8))
                .contains("\"tenant\":null");
    }

    @Test
    void shouldAcceptTheSameDocumentWrittenWithOtherKeyOrderAndWhitespace() throws Exception {
        KeyPair ed = pair("Ed25519");
        ConstitutionVerifier verifier = new ConstitutionVerifier(List.of(TrustedKey.fromPem("k", Pem.write(ed.getPublic()))));
        SignedBundle signed = ConstitutionSigner.sign(DOCUMENT, "1", ISSUED, null, "k", ed.getPrivate());
        String reordered = "{ \"rules\": [{\"severity\":\"critical\",\"weight\":0.9,\"pattern\":\"nerve agent\",\"name\":\"g\"}],"
                + " \"revision_history\": [], \"enforcement\": {}, \"principles\": [{\"body\":\"b\",\"title\":\"t\",\"id\":\"P1\"}],"
                + " \"preamble\": \"p\", \"title\": \"T\" }";

        assertThat(verifier.verify(withDocument(signed, reordered), null)).isInstanceOf(Verified.class);
        assertThat(verifier.verify(ConstitutionBundleJson.read(ConstitutionBundleJson.write(signed)), null))
                .isInstanceOf(Verified.class);
    }

    @Test
    void shouldVerifyTheRfc8032Ed25519TestVector() throws Exception {
        // RFC 8032 §7.1 TEST 1: empty message
        byte[] spkiPrefix = HexFormat.of().parseHex("302a300506032b6570032100");
        byte[] raw = HexFormat.of().parseHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        byte[] spki = new byte[spkiPrefix.length + raw.length];
        System.arraycopy(spkiPrefix, 0, spki, 0, spkiPrefix.length);
        System.arraycopy(raw, 0, spki, spkiPrefix.length, raw.length);
        PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
        byte[] signature = HexFormat.of().parseHex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
                + "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");

        assertThat(SignatureAlgorithm.EDDSA.verify(key, new byte[0], signature)).isTrue();
        assertThat(TrustedKey.fromPem("rfc", Pem.write(key)).algorithm()).isEqualTo(SignatureAlgorithm.EDDSA);
    }

    @Test
    void shouldCompareVersionsNumberByNumber() {
        assertThat(ConstitutionVersion.compare("1.10", "1.9")).isPositive();
        assertThat(ConstitutionVersion.compare("1.0", "1.0.0")).isZero();
        assertThat(ConstitutionVersion.compare("2", "10")).isNegative();
        assertThat(ConstitutionVersion.isValid("1.0.0-rc1")).isFalse();
    }

    @Test
    void shouldBoundTheVersionFormatSoNoVersionOutranksEveryLaterOne() {
        assertThat(ConstitutionVersion.isValid("999999.999999.999999")).isTrue();
        assertThat(ConstitutionVersion.isValid("2025.6.1")).isTrue();
        assertThat(ConstitutionVersion.isValid("0")).isTrue();
        assertThat(ConstitutionVersion.isValid("1000000")).as("a part over 999999").isFalse();
        assertThat(ConstitutionVersion.isValid("9".repeat(18))).isFalse();
        assertThat(ConstitutionVersion.isValid("1.0.0.1")).as("a fourth part").isFalse();
        assertThat(ConstitutionVersion.isValid("01.0")).as("a leading zero").isFalse();
        assertThat(ConstitutionVersion.isValid("1.")).isFalse();
        assertThat(ConstitutionVersion.isValid("")).isFalse();
    }

    private static SignedBundle withTenant(SignedBundle b, String tenant) {
        return new SignedBundle(b.version(), b.issuedAt(), b.documentJson(), b.hash(), b.signature(), tenant);
    }

    private static SignedBundle withDocument(SignedBundle b, String document) {
        return new SignedBundle(b.version(), b.issuedAt(), document, b.hash(), b.signature(), b.tenant());
    }

    private static SignedBundle withSignature(SignedBundle b, SignedBundle.Signature signature) {
        return new SignedBundle(b.version(), b.issuedAt(), b.documentJson(), b.hash(), signature, b.tenant());
    }
}
