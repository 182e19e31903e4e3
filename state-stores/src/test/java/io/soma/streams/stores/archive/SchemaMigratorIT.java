package io.soma.streams.stores.archive;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchemaMigratorIT {

    @Test
    void shouldApplyEveryMigrationOnceWhenRunTwice() throws Exception {
        try (ArchiveDatabase database = ArchiveDatabase.create("migrate_twice")) {
            SchemaMigrator migrator = new SchemaMigrator(database.pool.dataSource(), database.schema);

            assertThat(migrator.migrate()).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(migrator.migrate()).isEmpty();

            assertThat(database.count("SELECT count(*) FROM ${schema}.schema_migrations")).isEqualTo(6);
            assertThat(database.count("SELECT count(*) FROM information_schema.tables WHERE table_schema = '${schema}' "
                    + "AND table_name IN ('policy_decisions', 'training_audit', 'identity_audit', 'marketplace_audit', "
                    + "'budget_audit', 'constitution_audit')")).isEqualTo(6);
        }
    }

    @Test
    void shouldApplyMigrationsOnceWhenTwoInstancesStartTogether() throws Exception {
        try (ArchiveDatabase database = ArchiveDatabase.create("migrate_concurrent")) {
            CyclicBarrier start = new CyclicBarrier(2);
            List<CompletableFuture<List<Integer>>> runs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                SchemaMigrator migrator = new SchemaMigrator(database.pool.dataSource(), database.schema);
                runs.add(CompletableFuture.supplyAsync(() -> {
                    await(start);
                    return migrator.migrate();
                }));
            }

            List<Integer> applied = new ArrayList<>();
            for (CompletableFuture<List<Integer>> run : runs) {
                applied.addAll(run.get(60, TimeUnit.SECONDS));
            }

            assertThat(applied).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(database.count("SELECT count(*) FROM ${schema}.schema_migrations")).isEqualTo(6);
        }
    }

    @Test
    void shouldRefuseToRunWhenAnAppliedMigrationWasChanged() throws Exception {
        try (ArchiveDatabase database = ArchiveDatabase.migrated("migrate_changed")) {
            database.execute("UPDATE ${schema}.schema_migrations SET checksum = 'edited' WHERE version = 1");

            assertThatThrownBy(() -> new SchemaMigrator(database.pool.dataSource(), database.schema).migrate())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("V1")
                    .hasMessageContaining("changed after it was applied");
        }
    }

    @Test
    void shouldRejectASchemaNameThatIsNotAPlainIdentifier() {
        assertThatThrownBy(() -> SchemaMigrator.checkedSchemaName("soma; DROP TABLE x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
