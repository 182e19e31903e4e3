package io.soma.streams.topologies.policy;

import io.soma.streams.avro.CapsuleCatalogEntry;
import io.soma.streams.avro.CapsuleStatus;
import io.soma.streams.avro.ConstitutionBundle;
import io.soma.streams.topologies.policy.constitution.Constitution;
import io.soma.streams.topologies.policy.constitution.ConstitutionSigner;
import io.soma.streams.topologies.policy.constitution.ConstitutionVerifier;
import io.soma.streams.topologies.policy.constitution.SignatureAlgorithm;
import io.soma.streams.topologies.policy.constitution.TrustedKey;
import io.soma.streams.topologies.policy.evaluation.CapsuleStanding;
import io.soma.streams.topologies.policy.evaluation.CompiledPolicy;
import io.soma.streams.topologies.policy.evaluation.Decision;
import io.soma.streams.topologies.policy.evaluation.Evaluation;
import io.soma.streams.topologies.policy.evaluation.EvaluationInput;
import io.soma.streams.topologies.policy.evaluation.PolicyEvaluator;
import io.soma.streams.topologies.policy.evaluation.EvaluationLimits;
import io.soma.streams.topologies.policy.example.ExamplePolicy;
import io.soma.streams.topologies.policy.rules.Rule;
import io.soma.streams.topologies.policy.rules.RulePack;
import org.junit.jupiter.api.Test;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class TenantPoliciesTest {
    private static final String TENANT = "acme";
    private static final String KEY_ID = "tenant-policies-test";
    private static final KeyPair KEY = ed25519();
    private static final ConstitutionVerifier VERIFIER = new ConstitutionVerifier(
            List.of(new TrustedKey(KEY_ID, KEY.getPublic(), SignatureAlgorithm.EDDSA)));

    /** The constitution and rule-pack stores as maps, written as the app's global stores are: through the writes. */
    private final Map<String, ConstitutionBundle> constitutions = new HashMap<>();
    private final Map<String, io.soma.streams.avro.RulePack> packs = new HashMap<>();
    private final AtomicInteger storeReads = new AtomicInteger();
    private final PolicyStoreWrites writes = new PolicyStoreWrites();
    private final TenantPolicies policies = new TenantPolicies(VERIFIER, EvaluationLimits.DEFAULT,
            scope -> {
                storeReads.incrementAndGet();
                return constitutions.get(scope);
            },
            tenant -> {
                storeReads.incrementAndGet();
                return packs.get(tenant);
            },
            capsule -> null, writes);

    @Test
    void shouldHoldOnlyACapsuleTheCatalogHasApprovedAsApproved() {
        Map<String, CapsuleCatalogEntry> catalog = new HashMap<>();
        for (CapsuleStatus status : CapsuleStatus.values()) {
            catalog.put("capsule-" + status, CatalogEntries.entry("capsule-" + status, status));
        }
        TenantPolicies policies = new TenantPolicies(ExamplePolicy.verifier(), EvaluationLimits.DEFAULT,
                scope -> null, tenant -> null, catalog::get, new PolicyStoreWrites());

        for (CapsuleStatus status : CapsuleStatus.values()) {
            assertThat(policies.capsule("capsule-" + status)).as(status.name())
                    .isEqualTo(new CapsuleStanding("capsule-" + status, status == CapsuleStatus.APPROVED));
        }
        assertThat(policies.capsule("not-in-the-catalog")).isEqualTo(new CapsuleStanding("not-in-the-catalog", false));
        assertThat(policies.capsule(null)).as("an event naming no capsule").isNull();
    }

    @Test
    void shouldReadTheStoresOnceUntilAWriteAndCompileOnlyWhatChanged() {
        write(() -> constitutions.put(Constitution.GLOBAL_SCOPE, bundle("1.0.0", null)));
        write(() -> packs.put(TENANT, pack(1)));
        CompiledPolicy first = policies.forTenant(TENANT);
        int readsForFirst = storeReads.get();
        assertThat(policies.forTenant(TENANT)).isSameAs(first);
        assertThat(policies.forTenant(TENANT)).isSameAs(first);
        assertThat(storeReads.get()).as("no store read while nothing was written").isEqualTo(readsForFirst);

        write(() -> packs.put("another-tenant", pack(7)));
        assertThat(policies.forTenant(TENANT)).as("same pack version and constitution: not compiled again")
                .isSameAs(first);
        assertThat(storeReads.get()).as("a write: the stores are read again").isGreaterThan(readsForFirst);
        assertThat(policies.forTenant("no-pack-1")).as("tenants without a pack share the global policy")
                .isSameAs(policies.forTenant("no-pack-2"));
    }

    @Test
    void shouldGiveTheNextPolicyEveryChangeOfPackOrConstitutionIncludingDeletes() {
        ConstitutionBundle global = bundle("1.0.0", null);
        write(() -> constitutions.put(Constitution.GLOBAL_SCOPE, global));
        assertPolicy(TENANT, global, null);

        write(() -> packs.put(TENANT, pack(1)));
        assertPolicy(TENANT, global, 1L);
        write(() -> packs.put(TENANT, pack(2)));
        assertPolicy(TENANT, global, 2L);
        write(() -> packs.remove(TENANT)); // a tombstone
        assertPolicy(TENANT, global, null);

        ConstitutionBundle own = bundle("1.0.0", TENANT);
        write(() -> constitutions.put(TENANT, own)); // from the global constitution to its own
        assertPolicy(TENANT, own, null);
        ConstitutionBundle globalV2 = bundle("2.0.0", null);
        write(() -> constitutions.put(Constitution.GLOBAL_SCOPE, globalV2));
        assertPolicy(TENANT, own, null);
        assertPolicy("other", globalV2, null);
        write(() -> constitutions.remove(TENANT)); // its own deleted: the global one again
        assertPolicy(TENANT, globalV2, null);
        write(() -> constitutions.remove(Constitution.GLOBAL_SCOPE));
        assertPolicy(TENANT, null, null);
    }

    @Test
    void shouldNotKeepTheCompiledPolicyOfAReplacedPackVersion() {
        write(() -> constitutions.put(Constitution.GLOBAL_SCOPE, bundle("1.0.0", null)));
        write(() -> packs.put(TENANT, pack(1)));
        CompiledPolicy first = policies.forTenant(TENANT);
        write(() -> packs.put(TENANT, pack(2)));
        assertThat(policies.forTenant(TENANT).rulePackVersion()).isEqualTo(2L);

        // the first version again (a store restored from an old snapshot): compiled anew, it was not kept
        write(() -> packs.put(TENANT, pack(1)));
        CompiledPolicy again = policies.forTenant(TENANT);
        assertThat(again.rulePackVersion()).isEqualTo(1L);
        assertThat(again).isNotSameAs(first);
    }

    /** Written to constitution.active directly, not through the gate: a bundle under a scope it is not signed for. */
    @Test
    void shouldNotApplyAConstitutionStoredUnderAnotherScope() {
        ConstitutionBundle global = bundle("1.0.0", null);
        write(() -> constitutions.put(Constitution.GLOBAL_SCOPE, global));
        write(() -> constitutions.put(TENANT, bundle("2.0.0", "another-tenant")));
        assertPolicy(TENANT, global, null);

        write(() -> constitutions.put(Constitution.GLOBAL_SCOPE, bundle("3.0.0", TENANT)));
        assertPolicy("other", null, null);
    }

    /** policy.rulepacks may be written directly, as the demo does: a pack under another tenant's key. */
    @Test
    void shouldNotApplyARulePackStoredUnderAnotherTenant() {
        io.soma.streams.avro.RulePack others = pack(3);
        others.setTenant("another-tenant");
        write(() -> packs.put(TENANT, others));
        assertPolicy(TENANT, null, null);
    }

    /** A key the operator stopped trusting: the tenant's own constitution no longer verifies. */
    @Test
    void shouldGovernATenantWhoseOwnConstitutionNoLongerVerifiesByTheGlobalOne() {
        ConstitutionBundle global = bundle("1.0.0", null);
        write(() -> constitutions.put(Constitution.GLOBAL_SCOPE, global));
        ConstitutionBundle untrusted = signed(ExamplePolicy.bundle().documentJson(), "2.0.0", TENANT, ed25519());
        write(() -> constitutions.put(TENANT, untrusted));

        assertPolicy(TENANT, global, null);
        assertThat(policies.constitutionFor(TENANT)).as("what governs the tenant, as the edge reports it")
                .isEqualTo(global);
        assertThat(policies.constitutionOf(TENANT)).as("what is stored for it, which a publisher re-signs")
                .isEqualTo(untrusted);

        write(() -> constitutions.put(Constitution.GLOBAL_SCOPE, signed(ExamplePolicy.bundle().documentJson(),
                "2.0.0", null, ed25519())));
        assertPolicy(TENANT, null, null);
        assertThat(policies.constitutionFor(TENANT)).isNull();
    }

    @Test
    void shouldNameTheVersionOfADocumentSignedAgain() {
        String document = ExamplePolicy.bundle().documentJson();
        write(() -> constitutions.put(Constitution.GLOBAL_SCOPE, signed(document, "1.0.0", null)));
        assertThat(policies.forTenant(TENANT).constitutionVersion()).isEqualTo("1.0.0");
        // a key rotation: the same document, a newer version
        write(() -> constitutions.put(Constitution.GLOBAL_SCOPE, signed(document, "1.0.1", null)));
        assertThat(policies.forTenant(TENANT).constitutionVersion()).isEqualTo("1.0.1");
    }

    /**
     * A pack this build cannot read (a match kind of a later version, met in a rollback): thrown, it would
     * dead-letter every event of the tenant; left out, its deny rules would not apply. Its events fail closed.
     */
    @Test
    void shouldHoldEveryEventForReviewWhenTheTenantsPackCannotBeApplied() {
        ConstitutionBundle global = bundle("1.0.0", null);
        write(() -> constitutions.put(Constitution.GLOBAL_SCOPE, global));
        io.soma.streams.avro.RulePack unreadable = pack(5);
        unreadable.getRules().get(0).setMatch("a-kind-of-a-later-version");
        write(() -> packs.put(TENANT, unreadable));

        CompiledPolicy policy = policies.forTenant(TENANT);

        assertThat(policy.rulePackVersion()).as("not applied").isNull();
        assertThat(policy.packNotApplied()).isTrue();
        assertThat(policy.constitutionHash()).as("the constitution's rules still apply").isEqualTo(global.getHash());
        Evaluation harmless = PolicyEvaluator.evaluate(new EvaluationInput("what is the weather", "user", null), policy);
        assertThat(harmless.decision()).isEqualTo(Decision.REVIEW);
        assertThat(harmless.allowed()).isFalse();
        assertThat(harmless.reason()).isEqualTo(Evaluation.RULEPACK_NOT_APPLIED);
        assertThat(policies.forTenant("another-tenant").packNotApplied()).as("only that tenant's").isFalse();
        write(() -> packs.put("another-tenant", pack(1)));
        assertThat(policies.forTenant(TENANT)).as("compiled once, not at every event").isSameAs(policy);
    }

    @Test
    void shouldNotKeepAPolicyReadWhileAWriteIsInProgress() {
        write(() -> packs.put(TENANT, pack(1)));
        assertPolicy(TENANT, null, 1L);
        writes.write(() -> {
            // read before the new value is in: right for now, but not to be kept
            assertPolicy(TENANT, null, 1L);
            packs.put(TENANT, pack(2));
            // a reader seeing the new value in the store, before the write has ended, gets the new policy
            assertPolicy(TENANT, null, 2L);
        });
        assertPolicy(TENANT, null, 2L);
    }

    private void assertPolicy(String tenant, ConstitutionBundle constitution, Long packVersion) {
        CompiledPolicy policy = policies.forTenant(tenant);
        assertThat(policy.constitutionHash()).as("constitution of " + tenant)
                .isEqualTo(constitution == null ? null : constitution.getHash());
        assertThat(policy.rulePackVersion()).as("pack of " + tenant).isEqualTo(packVersion);
    }

    private void write(Runnable write) {
        writes.write(write);
    }

    /** The example document, so every version has the example's global rules; the hash differs by version. */
    private static ConstitutionBundle bundle(String version, String tenant) {
        return signed(ExamplePolicy.bundle().documentJson().replaceFirst("\"title\":\"", "\"title\":\"v" + version + " "),
                version, tenant);
    }

    private static ConstitutionBundle signed(String document, String version, String tenant) {
        return signed(document, version, tenant, KEY);
    }

    private static ConstitutionBundle signed(String document, String version, String tenant, KeyPair key) {
        try {
            return PolicyAvro.bundle(ConstitutionSigner.sign(document, version, Instant.now(), tenant, KEY_ID,
                    key.getPrivate()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static io.soma.streams.avro.RulePack pack(long version) {
        return PolicyAvro.rulePack(new RulePack(TENANT, version, List.of(Rule.withDefaults("no-secrets", "secret")),
                Instant.now(), "test"));
    }

    private static KeyPair ed25519() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException("every JDK 17 has Ed25519", e);
        }
    }
}
