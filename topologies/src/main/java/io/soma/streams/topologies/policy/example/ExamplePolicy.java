package io.soma.streams.topologies.policy.example;

import io.soma.streams.topologies.policy.constitution.Constitution;
import io.soma.streams.topologies.policy.constitution.ConstitutionBundleJson;
import io.soma.streams.topologies.policy.constitution.ConstitutionVerifier;
import io.soma.streams.topologies.policy.constitution.SignedBundle;
import io.soma.streams.topologies.policy.constitution.TrustedKey;
import io.soma.streams.topologies.policy.constitution.VerificationResult;
import io.soma.streams.topologies.policy.rules.RegexGuard;
import io.soma.streams.topologies.policy.rules.RulePack;
import io.soma.streams.topologies.policy.rules.RulePackJson;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The EXAMPLE rule pack and signed constitution the demo loads, from the classpath ({@code policy/}). The
 * constitution is signed with an example-only key (see {@link ExampleConstitutionSigner}).
 */
public final class ExamplePolicy {
    public static final String RULE_PACK = ExampleConstitutionSigner.RESOURCE_DIR + "example-rulepack.json";
    public static final String BUNDLE = ExampleConstitutionSigner.RESOURCE_DIR + ExampleConstitutionSigner.BUNDLE_FILE;
    public static final String PUBLIC_KEY = ExampleConstitutionSigner.RESOURCE_DIR + ExampleConstitutionSigner.PUBLIC_KEY_FILE;
    /**
     * What the evaluation budget is for: a regex {@link RegexGuard#problem} accepts (the repeat is bounded) that
     * backtracks about n^20 ways on {@link #BACKTRACKING_NEAR_MISS} (19 of the 20 {@code a}s it needs).
     */
    public static final String BACKTRACKING_REGEX = "(.*a){20}";
    public static final String BACKTRACKING_NEAR_MISS = ("a" + "x".repeat(10)).repeat(19);

    private ExamplePolicy() {
    }

    /** The example tenant pack (tenant {@code xstest}, the tenant the replayer gives XSTest prompts). */
    public static RulePack rulePack() {
        return RulePackJson.read(resource(RULE_PACK));
    }

    /** The signed example bundle, unverified. */
    public static SignedBundle bundle() {
        return ConstitutionBundleJson.read(resource(BUNDLE));
    }

    /** The example public key, under the key id the example bundle names. */
    public static TrustedKey trustedKey() {
        return TrustedKey.fromPem(ExampleConstitutionSigner.KEY_ID, resource(PUBLIC_KEY));
    }

    /** A verifier that trusts the example key only, and refuses document-only signatures. */
    public static ConstitutionVerifier verifier() {
        return new ConstitutionVerifier(List.of(trustedKey()));
    }

    /** The example bundle verified against the example key. */
    public static Constitution constitution() {
        VerificationResult result = verifier().verify(bundle(), null);
        if (result instanceof VerificationResult.Verified verified) {
            return verified.constitution();
        }
        throw new IllegalStateException("example constitution does not verify: " + result);
    }

    static String resource(String path) {
        try (InputStream in = ExamplePolicy.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing classpath resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
