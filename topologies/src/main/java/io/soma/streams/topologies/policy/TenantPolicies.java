package io.soma.streams.topologies.policy;

import io.soma.streams.avro.CapsuleCatalogEntry;
import io.soma.streams.avro.CapsuleStatus;
import io.soma.streams.avro.ConstitutionBundle;
import io.soma.streams.topologies.policy.constitution.Constitution;
import io.soma.streams.topologies.policy.constitution.ConstitutionVerifier;
import io.soma.streams.topologies.policy.constitution.VerificationResult;
import io.soma.streams.topologies.policy.evaluation.CapsuleStanding;
import io.soma.streams.topologies.policy.evaluation.CompiledPolicy;
import io.soma.streams.topologies.policy.evaluation.EvaluationLimits;
import io.soma.streams.topologies.policy.rules.RulePack;
import io.soma.streams.topologies.policy.rules.RulePackProblem;
import io.soma.streams.topologies.policy.rules.RulePackValidator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Compiled policies per tenant over the policy app's global stores, and the standing of capsules in the marketplace
 * catalog. The stream reads the stores inside the topology, the edge's {@code /v1/evaluate} through interactive
 * queries; both compile and look capsules up here, so both answer alike.
 * <p>
 * A tenant's compiled policy is kept until the next write to the constitution or rule-pack store
 * ({@link PolicyStoreWrites}): until then an event costs no store read and no Avro decode. After a write the stores
 * are read again, and the policy is compiled again only when the tenant's pack version or the constitution hash
 * changed (tenants without a pack share one compiled policy per constitution).
 */
public final class TenantPolicies {
    private static final Logger log = LoggerFactory.getLogger(TenantPolicies.class);
    private static final int CACHE_SIZE = 1_000;
    private final ConstitutionVerifier verifier;
    private final EvaluationLimits limits;
    private final Function<String, ConstitutionBundle> constitutions;
    private final Function<String, io.soma.streams.avro.RulePack> rulePacks;
    private final Function<String, CapsuleCatalogEntry> catalog;
    private final PolicyStoreWrites writes;
    /** By pack version and constitution hash. */
    private final Map<String, CompiledPolicy> compiled = leastRecentlyUsed();
    /**
     * By tenant whose policy is its own (its pack, or its own constitution): the key of that policy in
     * {@link #compiled}. A newer one replaces it there: a pack of 5,000 rules compiles to some 15 MB, and every version
     * a tenant saves would otherwise stay until a thousand others had been compiled.
     */
    private final Map<String, String> ownKeys = leastRecentlyUsed();
    /** By tenant: the policy compiled from what the stores held when the stamp was taken. */
    private final Map<String, Stamped> byTenant = leastRecentlyUsed();
    /**
     * Stored bundles by their signature and what it signs, verified once: empty for one the verifier refuses (signed
     * by a key no longer trusted). A signature verifies one document only, so the document need not be in the key.
     */
    private final Map<String, Optional<Constitution>> verified = leastRecentlyUsed();

    private record Stamped(long stamp, CompiledPolicy policy) {
    }

    /** A stored bundle and the constitution it verified as. */
    private record Governing(ConstitutionBundle bundle, Constitution constitution) {
        static final Governing NONE = new Governing(null, null);
    }

    /**
     * @param constitutions the active constitution by scope (a tenant or "global"), null when none
     * @param rulePacks     the rule pack by tenant, null when none
     * @param catalog       the marketplace catalog entry by capsule id, null when none
     * @param writes        every write to the stores behind {@code constitutions} and {@code rulePacks} goes through it
     */
    public TenantPolicies(ConstitutionVerifier verifier, EvaluationLimits limits,
                          Function<String, ConstitutionBundle> constitutions,
                          Function<String, io.soma.streams.avro.RulePack> rulePacks,
                          Function<String, CapsuleCatalogEntry> catalog, PolicyStoreWrites writes) {
        this.verifier = verifier;
        this.limits = limits;
        this.constitutions = constitutions;
        this.rulePacks = rulePacks;
        this.catalog = catalog;
        this.writes = writes;
    }

    /**
     * The standing of the capsule an event names, null when it names none. Only an entry whose status is
     * {@code APPROVED} is approved: an id the catalog does not hold (a typo, or an entry not yet read) fails closed.
     */
    public CapsuleStanding capsule(String capsuleId) {
        if (capsuleId == null) {
            return null;
        }
        CapsuleCatalogEntry entry = catalog.apply(capsuleId);
        return new CapsuleStanding(capsuleId, entry != null && entry.getStatus() == CapsuleStatus.APPROVED);
    }

    /**
     * The constitution governing the tenant: its own where one is stored for it and verifies, else the global one
     * where it verifies; null when none does. An own constitution signed by a key this process no longer trusts
     * leaves the tenant under the global rules, not under none.
     */
    public ConstitutionBundle constitutionFor(String tenant) {
        return governing(tenant).bundle();
    }

    private Governing governing(String tenant) {
        Governing own = verifiedOf(tenant);
        return own.bundle() != null || Constitution.GLOBAL_SCOPE.equals(tenant) ? own
                : verifiedOf(Constitution.GLOBAL_SCOPE);
    }

    private Governing verifiedOf(String scope) {
        ConstitutionBundle bundle = ofScope(scope, constitutions.apply(scope));
        if (bundle == null) {
            return Governing.NONE;
        }
        String signed = bundle.getSignature() + "|" + bundle.getHash() + "|" + bundle.getVersion() + "|"
                + bundle.getTenant() + "|" + bundle.getIssuedAt();
        Optional<Constitution> constitution;
        synchronized (verified) {
            constitution = verified.computeIfAbsent(signed, k -> {
                VerificationResult result = verifier.verify(PolicyAvro.bundle(bundle), null);
                if (result instanceof VerificationResult.Verified v) {
                    return Optional.of(v.constitution());
                }
                log.warn("constitution {} of scope {} does not verify, it is not applied: {}",
                        bundle.getVersion(), scope, ((VerificationResult.Rejection) result).message());
                return Optional.empty();
            });
        }
        return constitution.map(c -> new Governing(bundle, c)).orElse(Governing.NONE);
    }

    /**
     * {@code bundle} when it is signed for {@code scope}, else null: the gate files every bundle under its scope, so
     * one under another (written to {@code constitution.active} directly) would apply another tenant's rules.
     */
    private static ConstitutionBundle ofScope(String scope, ConstitutionBundle bundle) {
        if (bundle == null) {
            return null;
        }
        String its = bundle.getTenant() == null ? Constitution.GLOBAL_SCOPE : bundle.getTenant();
        if (its.equals(scope)) {
            return bundle;
        }
        log.warn("constitution {} of scope {} is stored under scope {}: not applied", bundle.getVersion(), its, scope);
        return null;
    }

    /**
     * The constitution stored for exactly this scope, verified or not (a publisher re-signing it after its key is no
     * longer trusted compares against it), without falling back to the global one; null when none is stored for it.
     */
    public ConstitutionBundle constitutionOf(String scope) {
        return ofScope(scope, constitutions.apply(scope));
    }

    /** The tenant's rule pack; null when it has none, or when the pack stored under it is another tenant's. */
    public io.soma.streams.avro.RulePack rulePackFor(String tenant) {
        io.soma.streams.avro.RulePack pack = rulePacks.apply(tenant);
        if (pack == null || pack.getTenant().equals(tenant)) {
            return pack;
        }
        // policy.rulepacks may be written directly (the demo does): a pack under another tenant's key is not theirs
        log.warn("rule pack {} of tenant {} is stored under tenant {}: not applied", pack.getVersion(), pack.getTenant(),
                tenant);
        return null;
    }

    public synchronized CompiledPolicy forTenant(String tenant) {
        Stamped kept = byTenant.get(tenant);
        if (kept != null && writes.unchangedSince(kept.stamp())) {
            return kept.policy();
        }
        long stamp = writes.beforeRead();
        Governing constitution = governing(tenant);
        ConstitutionBundle bundle = constitution.bundle();
        io.soma.streams.avro.RulePack pack = rulePackFor(tenant);
        // the pack carries its tenant, so only a policy with a pack is the tenant's own; a document signed again
        // (a key rotation) has the same hash under a newer version, which decisions must name
        String key = (pack == null ? "-" : tenant + "|" + pack.getVersion()) + "|" + (bundle == null ? "-"
                : bundle.getHash() + "|" + bundle.getVersion() + "|" + bundle.getTenant());
        CompiledPolicy policy = compiled.computeIfAbsent(key, k -> compile(pack, constitution.constitution()));
        boolean own = pack != null || (bundle != null && bundle.getTenant() != null);
        String replaced = own ? ownKeys.put(tenant, key) : ownKeys.remove(tenant);
        if (replaced != null && !replaced.equals(key)) {
            compiled.remove(replaced);
        }
        if (writes.unchangedSince(stamp)) {
            byTenant.put(tenant, new Stamped(stamp, policy));
        } else {
            byTenant.remove(tenant);
        }
        return policy;
    }

    private static <V> Map<String, V> leastRecentlyUsed() {
        return new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > CACHE_SIZE;
            }
        };
    }

    private static RulePack applicable(io.soma.streams.avro.RulePack pack) {
        try {
            RulePack candidate = PolicyAvro.rulePack(pack);
            List<RulePackProblem> problems = RulePackValidator.validate(candidate);
            if (problems.isEmpty()) {
                return candidate;
            }
            log.warn("rule pack {} of tenant {} is not applied, its events are held for review: {}",
                    pack.getVersion(), pack.getTenant(), problems);
        } catch (RuntimeException e) {
            log.warn("rule pack {} of tenant {} is not applied, it cannot be read; its events are held for review: {}",
                    pack.getVersion(), pack.getTenant(), e.toString());
        }
        return null;
    }

    private CompiledPolicy compile(io.soma.streams.avro.RulePack pack, Constitution constitution) {
        if (pack == null) {
            return CompiledPolicy.compile(null, constitution, limits);
        }
        // a pack that bypassed the edge's validation, or that this code cannot read (a match kind or action of a
        // newer version, met in a rollback): thrown, it would dead-letter every event of the tenant; left out, its
        // deny rules would not apply. Its tenant's events fail closed instead.
        RulePack domainPack = applicable(pack);
        return domainPack == null ? CompiledPolicy.withPackNotApplied(pack.getTenant(), constitution, limits)
                : CompiledPolicy.compile(domainPack, constitution, limits);
    }
}
