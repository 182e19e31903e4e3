package io.soma.streams.topologies.policy;

import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.replay.XsTestPrompts;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

/** The policy tests' data: the real XSTest prompts (../shared/data, never copied into the repository), bundles. */
final class PolicyTestData {
    private PolicyTestData() {
    }

    static List<XsTestPrompts.Prompt> xsTestPrompts() {
        return XsTestPrompts.read(XsTestPrompts.file(TestPaths.dataDir()));
    }

    /** Signed with Ed25519 as bundles were before the envelope: over the canonical document bytes alone. */
    static SignedBundle documentOnlySigned(String document, String version, Instant issuedAt, String tenant,
                                           String keyId, KeyPair pair) throws Exception {
        byte[] bytes = CanonicalJson.canonicalize(document).getBytes(StandardCharsets.UTF_8);
        String value = Base64.getEncoder().encodeToString(SignatureAlgorithm.EDDSA.sign(pair.getPrivate(), bytes));
        return new SignedBundle(version, issuedAt, document, CanonicalJson.sha256Hex(bytes),
                new SignedBundle.Signature(SignatureAlgorithm.EDDSA.bundleName(), value, keyId), tenant);
    }

    /** The example tenant pack with the example constitution's global rules, as the demo runs them. */
    static CompiledPolicy examplePolicy() {
        return CompiledPolicy.compile(ExamplePolicy.rulePack(), ExamplePolicy.constitution());
    }
}
