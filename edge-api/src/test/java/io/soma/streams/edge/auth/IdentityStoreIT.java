package io.soma.streams.edge.auth;

import io.soma.streams.stores.archive.PostgresPool;
import io.soma.streams.testkit.PrivateSchema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tenants, users and API keys in the real PostgreSQL, in a schema of this class's own. */
class IdentityStoreIT {
    private static final List<String> TENANTS = AuthTestSupport.realTenants(2);
    private static PrivateSchema schema;
    private static PostgresPool postgres;
    private static IdentityStore store;

    @BeforeAll
    static void migrate() {
        schema = PrivateSchema.create("identity_store");
        postgres = new PostgresPool(schema.jdbcUrl(), schema.user(), "", 2);
        store = new IdentityStore(postgres.dataSource(), schema.name());
        store.migrate();
    }

    @AfterAll
    static void dropSchema() {
        postgres.close();
        schema.close();
    }

    @Test
    void shouldStoreAnApiKeyOnlyAsItsHash() throws SQLException {
        store.saveUser(new Identity(TENANTS.get(0), "gateway", EnumSet.of(Capability.CONVERSATION)));

        String apiKey = store.createApiKey(TENANTS.get(0), "gateway", "test");

        List<String> rows = rowsAsText("SELECT k::text, encode(k.key_sha256, 'hex') FROM " + schema.name()
                + ".api_keys k");
        assertThat(rows).isNotEmpty().noneMatch(row -> row.contains(apiKey));
        assertThat(rows).anyMatch(row -> row.contains(HexFormat.of().formatHex(IdentityStore.sha256(apiKey))));
        assertThat(store.findByApiKey(apiKey))
                .contains(new Identity(TENANTS.get(0), "gateway", EnumSet.of(Capability.CONVERSATION)));
    }

    @Test
    void shouldNotKnowAKeyItNeverStored() {
        assertThat(store.findByApiKey(AuthTestSupport.randomKey())).isEmpty();
    }

    @Test
    void shouldBootstrapTheAdminWithEveryCapabilityAndReplaceItsConfiguredKey() throws SQLException {
        String firstKey = AuthTestSupport.randomKey();
        store.bootstrapAdmin(TENANTS.get(1), "admin", firstKey);
        store.bootstrapAdmin(TENANTS.get(1), "admin", firstKey);
        assertThat(store.findByApiKey(firstKey)).contains(new Identity(TENANTS.get(1), "admin", Capability.all()));
        assertThat(rowsAsText("SELECT user_id FROM " + schema.name() + ".api_keys WHERE tenant_id = '"
                + TENANTS.get(1) + "'"))
                .containsExactly("admin");

        String secondKey = AuthTestSupport.randomKey();
        store.bootstrapAdmin(TENANTS.get(1), "admin", secondKey);

        assertThat(store.findByApiKey(firstKey)).isEmpty();
        assertThat(store.findByApiKey(secondKey)).isPresent();
        assertThat(store.tenants()).extracting(IdentityStore.Tenant::id).contains(TENANTS.get(1));

        // another subject configured: the previous subject's key stops working too
        String thirdKey = AuthTestSupport.randomKey();
        store.bootstrapAdmin(TENANTS.get(1), "new-admin", thirdKey);
        assertThat(store.findByApiKey(secondKey)).isEmpty();
        assertThat(store.findByApiKey(thirdKey)).isPresent();
        // the same key configured for another subject speaks for that one only
        store.bootstrapAdmin(TENANTS.get(1), "root", thirdKey);
        assertThat(store.findByApiKey(thirdKey)).contains(new Identity(TENANTS.get(1), "root", Capability.all()));
        // none configured: none works, and keys created otherwise stay
        String created = store.createApiKey(TENANTS.get(1), "new-admin", "gateway");
        store.retireBootstrapKeys();
        assertThat(store.findByApiKey(thirdKey)).isEmpty();
        assertThat(store.findByApiKey(created)).isPresent();
    }

    @Test
    void shouldBootstrapTheSameAdminFromInstancesStartingTogether() throws Exception {
        String key = AuthTestSupport.randomKey();
        // the first instance has bootstrapped already; the others start at once (a rolling restart, a scale-up)
        store.bootstrapAdmin(TENANTS.get(0), "admin-together", key);
        int instances = 4;
        CyclicBarrier together = new CyclicBarrier(instances);
        // a thread per instance: the common pool may have fewer threads than the barrier parties, and would hang
        ExecutorService threads = Executors.newFixedThreadPool(instances);
        try {
            List<CompletableFuture<Void>> starts = new ArrayList<>();
            for (int i = 0; i < instances; i++) {
                starts.add(CompletableFuture.runAsync(() -> {
                    try {
                        together.await(30, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    store.bootstrapAdmin(TENANTS.get(0), "admin-together", key);
                }, threads));
            }
            // before the row lock, all but one failed on user_capabilities_pkey
            CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        } finally {
            threads.shutdownNow();
        }
        assertThat(store.findByApiKey(key)).contains(new Identity(TENANTS.get(0), "admin-together", Capability.all()));
    }

    @Test
    void shouldCreateATenantAgainAfterAnUndoneCreation() {
        String tenant = "undone-" + System.nanoTime();
        Identity admin = new Identity(tenant, "first-admin", Capability.tenantAdmin());
        String lostKey = store.createTenant(tenant, admin);
        // its audit could not be written, so its key never reached the caller: undone
        store.deleteTenant(tenant);

        assertThat(store.findByApiKey(lostKey)).isEmpty();
        assertThat(store.tenants()).extracting(IdentityStore.Tenant::id).doesNotContain(tenant);
        String key = store.createTenant(tenant, admin);
        assertThat(store.findByApiKey(key)).contains(admin);
    }

    @Test
    void shouldRefuseAShortConfiguredKey() {
        assertThatThrownBy(() -> store.bootstrapAdmin(TENANTS.get(1), "admin", "short-password"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("short-password");
    }

    @Test
    void shouldMigrateAgainWithoutHarm() {
        store.migrate();

        assertThat(store.tenants()).extracting(IdentityStore.Tenant::id).doesNotContain("no-such-tenant");
    }

    private static List<String> rowsAsText(String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = postgres.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet result = s.executeQuery(sql)) {
            while (result.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= result.getMetaData().getColumnCount(); i++) {
                    row.append(result.getString(i)).append(' ');
                }
                rows.add(row.toString().trim());
            }
        }
        return rows;
    }

}
