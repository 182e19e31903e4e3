package io.soma.streams.edge.policy;

import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.policy.constitution.CanonicalJson;
import io.soma.streams.topologies.policy.constitution.ConstitutionBundleJson;
import io.soma.streams.topologies.policy.constitution.ConstitutionSigner;
import io.soma.streams.topologies.policy.constitution.Pem;
import io.soma.streams.topologies.policy.constitution.SignatureAlgorithm;
import io.soma.streams.topologies.policy.constitution.SignedBundle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.UUID;

/** A constitution signer of the tests' own: a fresh Ed25519 key, its public half in a PEM file the edge trusts. */
public final class ConstitutionPublisher {
    private static final String KEY_ID = "it-publisher";
    private final KeyPair pair;
    private final Path publicKeyFile;

    public ConstitutionPublisher() {
        try {
            pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            publicKeyFile = TestPaths.newWorkDir("constitution-key").resolve("publisher.pub.pem").toAbsolutePath();
            Files.writeString(publicKeyFile, Pem.write(pair.getPublic()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK 17 has Ed25519", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The value of {@code constitution.trusted.keys} that trusts this publisher only. */
    public String trustedKeysSetting() {
        return KEY_ID + "=" + publicKeyFile;
    }

    /** A document of its own (its hash names no other test's constitution), with one valid global rule. */
    public static String uniqueDocument() {
        return "{\"title\":\"IT " + UUID.randomUUID() + "\",\"rules\":[{\"name\":\"g\",\"pattern\":\"nerve agent\"}]}";
    }

    /** Signed over the envelope of document, version, tenant and issue time. */
    public SignedBundle sign(String document, String version, String tenant) throws Exception {
        return ConstitutionSigner.sign(document, version, now(), tenant, KEY_ID, pair.getPrivate());
    }

    /** Signed over the canonical document alone, without the envelope (docs/policy.md). */
    SignedBundle signDocumentOnly(String document, String version, String tenant) throws Exception {
        byte[] canonical = CanonicalJson.canonicalize(document).getBytes(StandardCharsets.UTF_8);
        byte[] signature = SignatureAlgorithm.EDDSA.sign(pair.getPrivate(), canonical);
        return new SignedBundle(version, now(), document, CanonicalJson.sha256Hex(canonical), new SignedBundle.Signature(
                SignatureAlgorithm.EDDSA.bundleName(), Base64.getEncoder().encodeToString(signature), KEY_ID), tenant);
    }

    /** The same signature and document under another version and tenant: what a replay sends. */
    static String replayed(SignedBundle genuine, String version, String tenant) throws Exception {
        return ConstitutionBundleJson.write(new SignedBundle(version, genuine.issuedAt(), genuine.documentJson(),
                genuine.hash(), genuine.signature(), tenant));
    }

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }
}
