package io.soma.streams.edge.auth;

import io.soma.streams.edge.policy.PolicySlice;
import io.soma.streams.edge.slice.Closer;
import io.soma.streams.edge.slice.Platform;
import io.soma.streams.edge.slice.Slice;
import io.soma.streams.edge.slice.Slices;
import io.soma.streams.edge.tenancy.TenantHandlers;
import io.soma.streams.topologies.replay.ReplayPlan;
import io.soma.streams.topologies.runtime.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.exceptions.JedisException;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Identity: users and tenants in PostgreSQL, signing keys and revocations in Redis, tokens and their exchange, and
 * the authentication every other route goes through. A process always runs it.
 */
public record IdentitySlice(Closer closer, AuthHandler auth, TokenRoutes tokens, TenantHandlers tenants,
                            ApiKeyHandlers apiKeys)
        implements Slice {
    /** The user each replayed dataset's tenant gets in the demo; it has no API key. */
    public static final String DEMO_TENANT_ADMIN = "demo-admin";
    private static final Logger log = LoggerFactory.getLogger(IdentitySlice.class);

    public static IdentitySlice start(Platform platform, Slices started) {
        return Closer.starting(closer -> {
            var config = platform.config();
            IdentitySettings identity = IdentitySettings.from(config.settings());
            IdentityStore identities = new IdentityStore(platform.postgresRequests().dataSource(), identity.postgresSchema());
            // the preparation's migration may wait on another instance's advisory lock: the archive's pool, whose
            // socket timeout is long enough for it, not the requests' 15 s
            IdentityStore preparing = new IdentityStore(platform.postgres().dataSource(), identity.postgresSchema());
            if (identity.apiKeyLookups().concurrent() >= config.postgresPoolSize()) {
                log.warn("identity.apikey.lookups.concurrent ({}) is not below postgres.pool.size ({}): a flood of "
                        + "API-key exchanges can hold every PostgreSQL connection", identity.apiKeyLookups().concurrent(),
                        config.postgresPoolSize());
            }
            List<IdentityStorePreparation.Step> preparation = new ArrayList<>();
            preparation.add(new IdentityStorePreparation.Step("schema migration", preparing::migrate));
            IdentityStorePreparation.Step bootstrapKeys = identity.bootstrapAdmin()
                    .map(a -> new IdentityStorePreparation.Step("bootstrap admin " + a.tenant() + "/" + a.subject(),
                            () -> preparing.bootstrapAdmin(a.tenant(), a.subject(), a.apiKey())))
                    .orElseGet(() -> new IdentityStorePreparation.Step("retire bootstrap keys",
                            preparing::retireBootstrapKeys));
            preparation.add(bootstrapKeys);
            if (config.replayEnabled()) {
                // the demo's data belongs to one tenant per dataset: each exists with an admin user, so a platform
                // operator can issue a token that reads that tenant's data, and only that
                preparation.add(new IdentityStorePreparation.Step("demo tenants",
                        () -> ReplayPlan.TENANTS.forEach(tenant -> ensureDemoTenant(preparing, tenant))));
            }
            // PostgreSQL down at start delays these, not the start: identity routes answer 503 meanwhile
            IdentityStorePreparation prepared = closer.own(IdentityStorePreparation.start(preparation));
            platform.check("identity-store", prepared::problem);
            SigningKeys signingKeys = new SigningKeys(platform.redis().jedis(), config.redisKeyPrefix(),
                    identity.keySeal(), identity.lifetime(), Clock.systemUTC());
            requireOpenableKeys(signingKeys);
            platform.check("signing-keys", () -> keysProblem(signingKeys));
            // tokens carry the hash of the constitution governing their tenant when they are issued, when the process
            // runs governance: the hash a gateway sends back as X-Constitution-Hash
            Function<String, String> constitutionHash = started.find(PolicySlice.class)
                    .<Function<String, String>>map(policy -> policy::governingHash).orElse(tenant -> null);
            KafkaIdentityAuditSink audit = new KafkaIdentityAuditSink(platform.producer());
            TokenService tokens = new TokenService(signingKeys, platform.redis().jedis(), config.redisKeyPrefix(),
                    audit, constitutionHash, identity.lifetime(), Clock.systemUTC());
            AuthHandler auth = new AuthHandler(tokens);
            closer.own(scheduleKeyRotation(signingKeys, identity.keyRotationPeriod()));
            return new IdentitySlice(closer, auth, new TokenRoutes(tokens, identities, auth, identity.apiKeyLookups(),
                    () -> prepared.pendingThrough(bootstrapKeys)),
                    new TenantHandlers(identities, audit), new ApiKeyHandlers(identities, audit));
        });
    }

    private static void ensureDemoTenant(IdentityStore identities, String tenant) {
        try {
            identities.createTenant(tenant, null);
        } catch (IdentityStore.TenantExistsException e) {
            // created by an earlier start
        }
        identities.saveUser(new Identity(tenant, DEMO_TENANT_ADMIN, Capability.tenantAdmin()));
    }

    /**
     * Fails the start when the keys in Redis were sealed with another wrap secret: an instance that can neither issue
     * nor check tokens must not join, and replacing the keys would log out a deployment that may still use them.
     * With Redis down the start goes on, as it does for every other use of Redis; readiness checks the keys later.
     */
    private static void requireOpenableKeys(SigningKeys keys) {
        String problem = keysProblem(keys);
        if (problem != null) {
            throw new Settings.ConfigException(problem);
        }
    }

    /** Null when this wrap secret opens the keys, or when Redis cannot tell now (its own check reports that). */
    private static String keysProblem(SigningKeys keys) {
        try {
            return keys.problem();
        } catch (JedisException e) {
            return null;
        }
    }

    /** Checks hourly whether the signing key is due for rotation; every instance may, they agree in Redis. */
    private static AutoCloseable scheduleKeyRotation(SigningKeys keys, Duration period) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "signing-key-rotation");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                keys.rotateIfOlderThan(period);
            } catch (RuntimeException e) {
                log.warn("signing key rotation check failed (will retry): {}", e.getMessage());
            }
        }, 0, 1, TimeUnit.HOURS);
        return timer::shutdownNow;
    }
}
