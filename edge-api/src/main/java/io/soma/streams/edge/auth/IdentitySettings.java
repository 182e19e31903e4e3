package io.soma.streams.edge.auth;

import io.soma.streams.edge.tenancy.TenantHandlers;
import io.soma.streams.topologies.runtime.Settings;

import java.time.Duration;
import java.util.Base64;
import java.util.Optional;

/**
 * The {@code identity.*} settings.
 *
 * @param keyRotationPeriod how old the current signing key may get before {@link SigningKeys#rotateIfOlderThan}
 *                          replaces it
 * @param postgresSchema    where tenants, users and API keys live
 * @param apiKeyLookups     how many API-key exchanges may query PostgreSQL at once, and how long one beyond waits
 */
public record IdentitySettings(TokenLifetime lifetime, Duration keyRotationPeriod, KeySeal keySeal,
                               String postgresSchema, Optional<BootstrapAdmin> bootstrapAdmin,
                               ApiKeyLookupLimit apiKeyLookups) {

    /** The admin created at start, with every capability; its API key is only ever stored hashed. */
    public record BootstrapAdmin(String tenant, String subject, String apiKey) {
        @Override
        public String toString() {
            return "BootstrapAdmin[tenant=" + tenant + ", subject=" + subject + ", apiKey=<redacted>]";
        }
    }

    public static IdentitySettings from(Settings s) {
        String wrapSecret = s.stringOrNull("identity.keys.wrap.secret");
        if (wrapSecret == null) {
            throw new Settings.ConfigException("identity.keys.wrap.secret (env "
                    + Settings.envName("identity.keys.wrap.secret") + ") is required: the signing keys are stored in "
                    + "Redis sealed with it. Give every instance the same 32 random bytes in base64 (openssl rand "
                    + "-base64 32) from a secret store; ./soma demo makes one in its data dir");
        }
        KeySeal seal;
        try {
            seal = KeySeal.withSecret(Base64.getDecoder().decode(wrapSecret));
        } catch (IllegalArgumentException e) {
            // the message never quotes the secret
            throw new Settings.ConfigException("identity.keys.wrap.secret must be 32 bytes in base64 (openssl rand "
                    + "-base64 32)");
        }
        String apiKey = s.stringOrNull("identity.bootstrap.api.key");
        if (apiKey != null && apiKey.length() < IdentityStore.MIN_API_KEY_LENGTH) {
            throw new Settings.ConfigException("identity.bootstrap.api.key must be at least "
                    + IdentityStore.MIN_API_KEY_LENGTH + " characters of random text (openssl rand -base64 32)");
        }
        String bootstrapTenant = s.string("identity.bootstrap.tenant");
        if (apiKey != null && (!TenantHandlers.TENANT_ID.matcher(bootstrapTenant).matches()
                || TenantHandlers.RESERVED.contains(bootstrapTenant))) {
            throw new Settings.ConfigException("identity.bootstrap.tenant '" + bootstrapTenant + "' must be a tenant "
                    + "id as POST /v1/tenants accepts one (" + TenantHandlers.TENANT_ID.pattern() + ", not "
                    + TenantHandlers.RESERVED + ")");
        }
        Optional<BootstrapAdmin> admin = apiKey == null ? Optional.empty() : Optional.of(new BootstrapAdmin(
                bootstrapTenant, s.string("identity.bootstrap.subject"), apiKey));
        try {
            return new IdentitySettings(
                    new TokenLifetime(s.duration("identity.token.ttl"), s.duration("identity.clock.skew")),
                    s.duration("identity.keys.rotation.period"), seal, s.string("identity.postgres.schema"), admin,
                    new ApiKeyLookupLimit(s.integer("identity.apikey.lookups.concurrent"),
                            s.duration("identity.apikey.lookups.wait")));
        } catch (IllegalArgumentException e) {
            throw new Settings.ConfigException(e.getMessage());
        }
    }
}
