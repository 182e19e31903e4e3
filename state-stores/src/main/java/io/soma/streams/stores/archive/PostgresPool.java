package io.soma.streams.stores.archive;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/** The HikariCP pool to PostgreSQL, where the audit archive and identities live. */
public final class PostgresPool implements AutoCloseable {
    private final HikariDataSource dataSource;

    /** How long a call may wait for PostgreSQL's answer by default: long enough for a migration's index build. */
    public static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofMinutes(5);

    public PostgresPool(String jdbcUrl, String user, String password, int size) {
        this(jdbcUrl, user, password, size, DEFAULT_SOCKET_TIMEOUT);
    }

    /**
     * @param socketTimeout how long a call waits for PostgreSQL's answer before it fails: without it, a connection
     *                      that a network partition or a failover left half-open blocks its caller for good (the
     *                      audit archive stops, a query holds its request thread); a JDBC URL's own
     *                      {@code socketTimeout} wins
     */
    public PostgresPool(String jdbcUrl, String user, String password, int size, Duration socketTimeout) {
        this("soma-postgres", jdbcUrl, user, password, size, socketTimeout);
    }

    /** @param name the pool's name in HikariCP's logs */
    public PostgresPool(String name, String jdbcUrl, String user, String password, int size, Duration socketTimeout) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(size);
        config.setPoolName(name);
        // start even while PostgreSQL is down: readiness reports it, the archive catches up later
        config.setInitializationFailTimeout(-1);
        config.setConnectionTimeout(5_000);
        // whole seconds; 0 is none
        config.addDataSourceProperty("socketTimeout", Long.toString(socketTimeout.isZero() ? 0
                : Math.max(1, socketTimeout.toSeconds())));
        config.addDataSourceProperty("tcpKeepAlive", "true");
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
