package io.soma.streams.stores.archive;

import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
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

    /**
     * A session holding the migration lock for good (its instance went away mid-migration): a start waits for it only
     * so long, and then fails naming the session, which an operator may end.
     */
    @Test
    void shouldStopWaitingForAMigrationLockHeldTooLongAndNameItsHolder() throws Exception {
        try (ArchiveDatabase database = ArchiveDatabase.create("migrate_lock_held");
             Connection holder = database.pool.dataSource().getConnection();
             Statement statement = holder.createStatement()) {
            statement.execute("SELECT pg_advisory_lock(hashtext('soma.schema_migrations:" + database.schema + "'))");
            int holderPid;
            try (ResultSet pid = statement.executeQuery("SELECT pg_backend_pid()")) {
                pid.next();
                holderPid = pid.getInt(1);
            }
            SchemaMigrator migrator = new SchemaMigrator(database.pool.dataSource(), database.schema,
                    Duration.ofSeconds(2));

            CompletableFuture<List<Integer>> run = CompletableFuture.supplyAsync(migrator::migrate);

            assertThatThrownBy(() -> run.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class)
                    .cause().hasMessageContaining("held the migration lock").hasMessageContaining("pid " + holderPid);
            statement.execute("SELECT pg_advisory_unlock_all()");
            assertThat(migrator.migrate()).containsExactly(1, 2, 3, 4, 5, 6);
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
