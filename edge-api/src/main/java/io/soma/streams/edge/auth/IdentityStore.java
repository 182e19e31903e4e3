package io.soma.streams.edge.auth;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Tenants, users, their capabilities and their API keys, in PostgreSQL.
 * <p>
 * An API key is stored only as its SHA-256. A generated key carries 256 random bits, so neither a salt nor a
 * slow hash would add anything: there is no dictionary to precompute and nothing to brute-force. A key given
 * in configuration (the bootstrap admin's) must therefore be at least {@value #MIN_API_KEY_LENGTH} characters
 * of random text. Lookups go by the hash, so the key itself never reaches the database.
 */
public final class IdentityStore {
    public static final int MIN_API_KEY_LENGTH = 32;
    static final String BOOTSTRAP_LABEL = "bootstrap";
    /** Bytes of an API key's SHA-256 that make its id. */
    static final int KEY_ID_BYTES = 8;
    private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final SecureRandom random = new SecureRandom();

    private final DataSource dataSource;
    private final String schema;

    /** @param schema a plain lower-case identifier ({@code soma} in production; tests use their own) */
    public IdentityStore(DataSource dataSource, String schema) {
        if (!SCHEMA_NAME.matcher(schema).matches()) {
            throw new IllegalArgumentException("schema name must match " + SCHEMA_NAME + ": " + schema);
        }
        this.dataSource = dataSource;
        this.schema = schema;
    }

    /** Creates the schema and tables when missing; safe to run on every start of every instance. */
    public void migrate() {
        String s = schema;
        inTransaction(c -> {
            try (Statement statement = c.createStatement()) {
                // instances starting together would race on CREATE ... IF NOT EXISTS
                statement.execute("SELECT pg_advisory_xact_lock(hashtext('soma.identity:" + s + "'))");
                statement.execute("CREATE SCHEMA IF NOT EXISTS " + s);
                statement.execute("CREATE TABLE IF NOT EXISTS " + s + ".tenants ("
                        + "tenant_id TEXT PRIMARY KEY, created_at TIMESTAMPTZ NOT NULL DEFAULT now())");
                statement.execute("CREATE TABLE IF NOT EXISTS " + s + ".users ("
                        + "tenant_id TEXT NOT NULL REFERENCES " + s + ".tenants ON DELETE CASCADE, "
                        + "user_id TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now(), "
                        + "PRIMARY KEY (tenant_id, user_id))");
                statement.execute("CREATE TABLE IF NOT EXISTS " + s + ".user_capabilities ("
                        + "tenant_id TEXT NOT NULL, user_id TEXT NOT NULL, capability TEXT NOT NULL, "
                        + "PRIMARY KEY (tenant_id, user_id, capability), "
                        + "FOREIGN KEY (tenant_id, user_id) REFERENCES " + s + ".users ON DELETE CASCADE)");
                statement.execute("CREATE TABLE IF NOT EXISTS " + s + ".api_keys ("
                        + "key_sha256 BYTEA PRIMARY KEY, tenant_id TEXT NOT NULL, user_id TEXT NOT NULL, "
                        + "label TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now(), revoked_at TIMESTAMPTZ, "
                        + "FOREIGN KEY (tenant_id, user_id) REFERENCES " + s + ".users ON DELETE CASCADE)");
            }
            // who revoked a key: a revocation whose audit failed is audited, naming them, when it is retried. Altered
            // only when missing: an ALTER takes the table's exclusive lock, and every key exchange would queue
            // behind it
            try (PreparedStatement columns = c.prepareStatement("SELECT count(*) FROM information_schema.columns "
                    + "WHERE table_schema = ? AND table_name = 'api_keys' AND column_name = 'revoked_by'")) {
                columns.setString(1, s);
                try (ResultSet rows = columns.executeQuery(); Statement alter = c.createStatement()) {
                    if (rows.next() && rows.getLong(1) == 0) {
                        // behind a long reader, give up (the preparation is retried) rather than queue every key
                        // exchange behind this ALTER's wait
                        alter.execute("SET LOCAL lock_timeout = '5s'");
                        alter.execute("ALTER TABLE " + s + ".api_keys ADD COLUMN revoked_by TEXT, "
                                + "ADD COLUMN revoked_by_tenant TEXT");
                    }
                }
            }
            return null;
        });
    }

    /** Creates the tenant and user when missing and sets the user's capabilities to exactly these. */
    public void saveUser(Identity identity) {
        inTransaction(c -> {
            saveUser(c, identity);
            return null;
        });
    }

    /**
     * The configured admin: tenant, user with every capability, and the configured API key, the one bootstrap key
     * there is. One configured before stops working, whichever tenant and user it was for (a changed key, tenant or
     * subject); keys created otherwise are kept.
     */
    public void bootstrapAdmin(String tenant, String subject, String apiKey) {
        requireStrong(apiKey);
        byte[] hash = sha256(apiKey);
        inTransaction(c -> {
            saveUser(c, new Identity(tenant, subject, Capability.all()));
            update(c, "DELETE FROM " + schema + ".api_keys WHERE label = ? AND key_sha256 <> ?", BOOTSTRAP_LABEL, hash);
            // the same key configured for another tenant or subject moves to them: left bound to the previous admin,
            // it would go on speaking for that one (a revoked key stays revoked)
            update(c, "INSERT INTO " + schema + ".api_keys (key_sha256, tenant_id, user_id, label) VALUES (?, ?, ?, ?) "
                    + "ON CONFLICT (key_sha256) DO UPDATE SET tenant_id = EXCLUDED.tenant_id, "
                    + "user_id = EXCLUDED.user_id, label = EXCLUDED.label", hash, tenant, subject, BOOTSTRAP_LABEL);
            return null;
        });
    }

    /**
     * No bootstrap admin configured: a bootstrap key configured before stops working (it could issue tokens with
     * every capability, platform.operator included, long after it was taken out of the configuration).
     */
    public void retireBootstrapKeys() {
        inTransaction(c -> {
            update(c, "DELETE FROM " + schema + ".api_keys WHERE label = ?", BOOTSTRAP_LABEL);
            return null;
        });
    }

    /**
     * A new random API key for an existing user.
     *
     * @return the key; shown to its owner once, it cannot be read back
     */
    public String createApiKey(String tenant, String subject, String label) {
        String apiKey = newApiKey();
        inTransaction(c -> {
            insertKey(c, sha256(apiKey), tenant, subject, label);
            return null;
        });
        return apiKey;
    }

    /** Undoes a {@link #createApiKey} whose answer never reached its caller (its audit could not be written). */
    public void deleteApiKey(String tenant, String apiKey) {
        inTransaction(c -> update(c, "DELETE FROM " + schema + ".api_keys WHERE tenant_id = ? AND key_sha256 = ?",
                tenant, sha256(apiKey)));
    }

    /**
     * An API key as its tenant's admins see it: never the key, only its id (the first 8 bytes of its SHA-256, in hex,
     * which says nothing of the key).
     *
     * @param revokedAt null while it is in use
     */
    public record ApiKey(String keyId, String subject, String label, Instant createdAt, Instant revokedAt) {
    }

    /** The tenant's API keys, oldest first, revoked ones included. */
    public List<ApiKey> apiKeys(String tenant) {
        return inTransaction(c -> {
            List<ApiKey> out = new ArrayList<>();
            try (PreparedStatement select = c.prepareStatement("SELECT key_sha256, user_id, label, created_at, "
                    + "revoked_at FROM " + schema + ".api_keys WHERE tenant_id = ? ORDER BY created_at, key_sha256")) {
                select.setString(1, tenant);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        out.add(new ApiKey(keyId(rows.getBytes(1)), rows.getString(2), rows.getString(3),
                                rows.getTimestamp(4).toInstant(),
                                rows.getTimestamp(5) == null ? null : rows.getTimestamp(5).toInstant()));
                    }
                }
            }
            return out;
        });
    }

    /**
     * Who revoked an API key (both null for a key revoked before this was recorded), and whether this call did.
     */
    public record Revocation(boolean now, String bySubject, String byTenant) {
    }

    /**
     * Revokes the tenant's key with this id, on behalf of {@code revoker}: no token is issued for it again (tokens it
     * issued live until they expire, or are revoked themselves).
     *
     * @return whether this call revoked it (else it was revoked already) and who did; empty when the tenant has no
     *         such key
     */
    public Optional<Revocation> revokeApiKey(String tenant, String keyId, Principal revoker) {
        String matching = " WHERE tenant_id = ? AND encode(substring(key_sha256 FROM 1 FOR " + KEY_ID_BYTES
                + "), 'hex') = ?";
        return inTransaction(c -> {
            try (PreparedStatement revoke = c.prepareStatement("UPDATE " + schema + ".api_keys SET revoked_at = now(), "
                    + "revoked_by = ?, revoked_by_tenant = ?" + matching + " AND revoked_at IS NULL")) {
                revoke.setString(1, revoker.subject());
                revoke.setString(2, revoker.tenant());
                revoke.setString(3, tenant);
                revoke.setString(4, keyId);
                // of two revocations at once, one updates the row: the other is told it was revoked already
                if (revoke.executeUpdate() > 0) {
                    return Optional.of(new Revocation(true, revoker.subject(), revoker.tenant()));
                }
            }
            try (PreparedStatement select = c.prepareStatement("SELECT revoked_by, revoked_by_tenant FROM " + schema
                    + ".api_keys" + matching)) {
                select.setString(1, tenant);
                select.setString(2, keyId);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(new Revocation(false, rows.getString(1), rows.getString(2)))
                            : Optional.<Revocation>empty();
                }
            }
        });
    }

    /** The id an API key is known by: the first {@value #KEY_ID_BYTES} bytes of its SHA-256, in hex. */
    public static String keyId(byte[] sha256) {
        return HexFormat.of().formatHex(sha256, 0, KEY_ID_BYTES);
    }

    /**
     * What a token's holder may pass on now: the token's capabilities that its user still holds here (a capability
     * removed in PostgreSQL stops being grantable at once, even by a token that carries it).
     */
    public Set<Capability> holdsNow(Principal holder) {
        Set<Capability> held = EnumSet.noneOf(Capability.class);
        held.addAll(holder.capabilities());
        held.retainAll(capabilitiesOf(holder.tenant(), holder.subject()).orElse(Set.of()));
        return held;
    }

    /** The user an API key belongs to; empty for an unknown or revoked key. */
    public Optional<Identity> findByApiKey(String apiKey) {
        return inTransaction(c -> {
            try (PreparedStatement select = c.prepareStatement("SELECT k.tenant_id, k.user_id, uc.capability FROM "
                    + schema + ".api_keys k LEFT JOIN " + schema + ".user_capabilities uc "
                    + "ON uc.tenant_id = k.tenant_id AND uc.user_id = k.user_id "
                    + "WHERE k.key_sha256 = ? AND k.revoked_at IS NULL")) {
                select.setBytes(1, sha256(apiKey));
                try (ResultSet rows = select.executeQuery()) {
                    String tenant = null;
                    String subject = null;
                    Set<Capability> capabilities = EnumSet.noneOf(Capability.class);
                    while (rows.next()) {
                        tenant = rows.getString(1);
                        subject = rows.getString(2);
                        Optional.ofNullable(rows.getString(3)).flatMap(Capability::fromClaim).ifPresent(capabilities::add);
                    }
                    return tenant == null ? Optional.empty() : Optional.of(new Identity(tenant, subject, capabilities));
                }
            }
        });
    }

    /** A tenant, as {@code GET /v1/tenants} lists it. */
    public record Tenant(String id, Instant createdAt) {
    }

    /**
     * Creates a tenant and, when {@code admin} is given, its first user with an API key, in one transaction.
     *
     * @return the admin's API key (shown once, it cannot be read back); null without an admin
     * @throws TenantExistsException when the tenant exists already (nothing is changed)
     */
    public String createTenant(String tenant, Identity admin) {
        return inTransaction(c -> {
            String insert = "INSERT INTO " + schema + ".tenants (tenant_id) VALUES (?) ON CONFLICT DO NOTHING";
            if (update(c, insert, tenant) == 0) {
                throw new TenantExistsException(tenant);
            }
            if (admin == null) {
                return null;
            }
            saveUser(c, admin);
            String apiKey = newApiKey();
            insertKey(c, sha256(apiKey), tenant, admin.subject(), "tenant-admin");
            return apiKey;
        });
    }

    /**
     * Undoes a {@link #createTenant} whose answer never reached its caller (its audit could not be written): the
     * admin's key was never seen, and a retry must be able to create the tenant again with one that is.
     */
    public void deleteTenant(String tenant) {
        inTransaction(c -> {
            // users, their capabilities and keys go with it (ON DELETE CASCADE)
            update(c, "DELETE FROM " + schema + ".tenants WHERE tenant_id = ?", tenant);
            return null;
        });
    }

    /** Every tenant, by id. */
    public List<Tenant> tenants() {
        return inTransaction(c -> {
            List<Tenant> out = new ArrayList<>();
            try (PreparedStatement select = c.prepareStatement("SELECT tenant_id, created_at FROM " + schema
                    + ".tenants ORDER BY tenant_id"); ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    out.add(new Tenant(rows.getString(1), rows.getTimestamp(2).toInstant()));
                }
            }
            return out;
        });
    }

    /** The user's capabilities as stored now; empty when the tenant has no such user. */
    public Optional<Set<Capability>> capabilitiesOf(String tenant, String subject) {
        return inTransaction(c -> {
            try (PreparedStatement select = c.prepareStatement("SELECT uc.capability FROM " + schema + ".users u "
                    + "LEFT JOIN " + schema + ".user_capabilities uc ON uc.tenant_id = u.tenant_id "
                    + "AND uc.user_id = u.user_id WHERE u.tenant_id = ? AND u.user_id = ?")) {
                select.setString(1, tenant);
                select.setString(2, subject);
                try (ResultSet rows = select.executeQuery()) {
                    if (!rows.next()) {
                        return Optional.empty();
                    }
                    Set<Capability> capabilities = EnumSet.noneOf(Capability.class);
                    do {
                        Optional.ofNullable(rows.getString(1)).flatMap(Capability::fromClaim).ifPresent(capabilities::add);
                    } while (rows.next());
                    return Optional.of(capabilities);
                }
            }
        });
    }


    private static String newApiKey() {
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        return "soma_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    static byte[] sha256(String apiKey) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(apiKey.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static void requireStrong(String apiKey) {
        if (apiKey == null || apiKey.length() < MIN_API_KEY_LENGTH) {
            throw new IllegalArgumentException("a configured API key must be at least " + MIN_API_KEY_LENGTH
                    + " characters of random text (it is stored as a plain SHA-256)");
        }
    }

    private void saveUser(Connection c, Identity identity) throws SQLException {
        update(c, "INSERT INTO " + schema + ".tenants (tenant_id) VALUES (?) ON CONFLICT DO NOTHING", identity.tenant());
        update(c, "INSERT INTO " + schema + ".users (tenant_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                identity.tenant(), identity.subject());
        // instances starting together bootstrap the same admin: the row lock makes their replacements take turns
        update(c, "SELECT 1 FROM " + schema + ".users WHERE tenant_id = ? AND user_id = ? FOR UPDATE",
                identity.tenant(), identity.subject());
        update(c, "DELETE FROM " + schema + ".user_capabilities WHERE tenant_id = ? AND user_id = ?",
                identity.tenant(), identity.subject());
        for (Capability capability : identity.capabilities()) {
            update(c, "INSERT INTO " + schema + ".user_capabilities (tenant_id, user_id, capability) VALUES (?, ?, ?)",
                    identity.tenant(), identity.subject(), capability.claim());
        }
    }

    private void insertKey(Connection c, byte[] hash, String tenant, String subject, String label) throws SQLException {
        update(c, "INSERT INTO " + schema + ".api_keys (key_sha256, tenant_id, user_id, label) VALUES (?, ?, ?, ?) "
                + "ON CONFLICT (key_sha256) DO NOTHING", hash, tenant, subject, label);
    }

    /** @return the rows it changed (-1 for a query, such as a {@code SELECT ... FOR UPDATE}) */
    private static int update(Connection c, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            statement.execute();
            return statement.getUpdateCount();
        }
    }

    private <T> T inTransaction(SqlWork<T> work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IdentityStoreException("identity store (PostgreSQL schema " + schema + "): " + e.getMessage(), e);
        }
    }

    @FunctionalInterface
    private interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }

    /** The tenant to create exists already. */
    public static final class TenantExistsException extends RuntimeException {
        TenantExistsException(String tenant) {
            super("tenant " + tenant + " exists already");
        }
    }

    /** PostgreSQL failed or is unreachable; the edge answers 503. */
    public static final class IdentityStoreException extends RuntimeException {
        IdentityStoreException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
