package io.soma.streams.edge.policy;

import io.soma.streams.avro.ConstitutionBundle;
import io.soma.streams.avro.RulePack;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.topologies.policy.PolicyApp;
import io.soma.streams.topologies.policy.TenantPolicies;
import io.soma.streams.topologies.policy.evaluation.CapsuleStanding;
import io.soma.streams.topologies.policy.evaluation.CompiledPolicy;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreType;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.util.function.Function;

/**
 * The edge's view of the active constitutions, rule packs and capsule catalog: the policy app's global stores (the
 * same on every instance, so read locally), for {@code /v1/evaluate}, the governance routes and the constitution hash
 * in tokens. Policies are compiled, and capsules looked up, by the same {@link TenantPolicies} as the stream's, so
 * the edge and the stream decide alike. Every read answers 503 until the policy app's stores are ready.
 */
public final class ActivePolicies {
    private final TenantPolicies policies;

    /**
     * @param policyApp the running policy app, whose global stores are read
     * @param config    the policy app's own: its verifier (a bundle it would refuse is not applied here either), its
     *                  limits ({@code /v1/evaluate} evaluates as the stream does) and its store writes (a policy kept
     *                  here is dropped when the stores change)
     */
    public ActivePolicies(KafkaStreams policyApp, PolicyApp.Config config) {
        this.policies = new TenantPolicies(config.verifier(), config.limits(),
                globalStore(policyApp, PolicyApp.ACTIVE_CONSTITUTIONS), globalStore(policyApp, PolicyApp.RULE_PACKS),
                globalStore(policyApp, PolicyApp.CAPSULE_CATALOG), config.storeWrites());
    }

    /** The tenant's constitution where one exists, else the global one; null when none is active. */
    public ConstitutionBundle constitutionFor(String tenant) {
        return policies.constitutionFor(tenant);
    }

    /** The constitution of exactly this scope, without falling back to the global one. */
    public ConstitutionBundle constitutionOf(String scope) {
        return policies.constitutionOf(scope);
    }

    public RulePack rulePackFor(String tenant) {
        return policies.rulePackFor(tenant);
    }

    public CompiledPolicy forTenant(String tenant) {
        return policies.forTenant(tenant);
    }

    /** The standing of the capsule a request names in the catalog; null when it names none. */
    public CapsuleStanding capsule(String capsuleId) {
        return policies.capsule(capsuleId);
    }

    /** Looks a key up in a global store; interactive queries hand out the plain values, not their timestamps. */
    private static <V> Function<String, V> globalStore(KafkaStreams streams, String name) {
        QueryableStoreType<ReadOnlyKeyValueStore<String, V>> type = QueryableStoreTypes.keyValueStore();
        return key -> {
            ReadOnlyKeyValueStore<String, V> store;
            try {
                store = streams.store(StoreQueryParameters.fromNameAndType(name, type));
            } catch (InvalidStateStoreException e) {
                throw ApiException.notReady("the policy stores are not ready yet: " + e.getMessage());
            }
            return store.get(key);
        };
    }
}
