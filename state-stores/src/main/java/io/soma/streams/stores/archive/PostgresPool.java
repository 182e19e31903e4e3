package io.soma.streams.stores.archive;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;

/** The HikariCP pool to PostgreSQL, where the audit archive and identities live. */
public final class PostgresPool implements AutoCloseable {
    private final HikariDataSource dataSource;

    public PostgresPool(String jdbcUrl, String user, String password, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(size);
        config.setPoolName("soma-postgres");
        // start even while PostgreSQL is down: readiness reports it, the archive catches up later
        config.setInitializationFailTimeout(-1);
        config.setConnectionTimeout(5_000);
        this.dataSource = new HikariDataSource(config);
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** @return null when a connection answers, else why not */
    public String problem() {
        try (Connection c = dataSource.getConnection()) {
            return c.isValid(2) ? null : "PostgreSQL connection is not valid";
        } catch (SQLException e) {
            return "PostgreSQL does not answer: " + e.getMessage();
        }
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
