package io.soma.streams.stores.archive;

import io.soma.streams.testkit.PrivateSchema;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** The archive in a schema of its own in the machine's real {@code test} database, dropped when the test class is done. */
final class ArchiveDatabase implements AutoCloseable {
    final PostgresPool pool;
    final String schema;
    private final PrivateSchema privateSchema;

    private ArchiveDatabase(String purpose) {
        this.privateSchema = PrivateSchema.create("archive_" + purpose);
        this.schema = privateSchema.name();
        this.pool = new PostgresPool(privateSchema.jdbcUrl(), privateSchema.user(), "", 4);
    }

    static ArchiveDatabase create(String purpose) {
        return new ArchiveDatabase(purpose);
    }

    static ArchiveDatabase migrated(String purpose) {
        ArchiveDatabase database = create(purpose);
        new SchemaMigrator(database.pool.dataSource(), database.schema).migrate();
        return database;
    }

    long count(String sql) throws SQLException {
        try (Connection c = pool.dataSource().getConnection();
             Statement s = c.createStatement();
             ResultSet r = s.executeQuery(sql.replace("${schema}", schema))) {
            r.next();
            return r.getLong(1);
        }
    }

    void execute(String sql) throws SQLException {
        try (Connection c = pool.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql.replace("${schema}", schema));
        }
    }

    @Override
    public void close() {
        try {
            pool.close();
        } finally {
            privateSchema.close();
        }
    }
}
