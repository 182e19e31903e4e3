package io.soma.streams.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A PostgreSQL schema of a test class's own in the machine's {@code test} database, so that tests never write
 * to the application's database or its {@code soma} schema, and never see each other's rows. The schema is
 * created empty (migrations are the code under test) and dropped with everything in it on close.
 */
public final class PrivateSchema implements AutoCloseable {
    private final String name;

    private PrivateSchema(String name) {
        this.name = name;
    }

    /** @param purpose lower-case letters, digits and underscores: part of the schema's name */
    public static PrivateSchema create(String purpose) {
        if (!purpose.matches("[a-z0-9_]{1,30}")) {
            throw new IllegalArgumentException("schema purpose must be [a-z0-9_]{1,30}: " + purpose);
        }
        PrivateSchema schema = new PrivateSchema(
                purpose + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12));
        schema.execute("CREATE SCHEMA " + schema.name);
        return schema;
    }

    public String name() {
        return name;
    }

    public String jdbcUrl() {
        return LocalServices.testJdbcUrl();
    }

    public String user() {
        return LocalServices.postgresUser();
    }

    /** Runs {@code sql} with {@code ${schema}} replaced by this schema's name. */
    public void execute(String sql) {
        try (Connection c = DriverManager.getConnection(jdbcUrl(), user(), "");
             Statement s = c.createStatement()) {
            s.execute(sql.replace("${schema}", name));
        } catch (SQLException e) {
            throw new IllegalStateException("cannot run on " + jdbcUrl() + ": " + sql, e);
        }
    }

    @Override
    public void close() {
        execute("DROP SCHEMA IF EXISTS " + name + " CASCADE");
    }
}
