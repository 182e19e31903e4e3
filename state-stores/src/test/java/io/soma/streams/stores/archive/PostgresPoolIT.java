package io.soma.streams.stores.archive;

import io.soma.streams.testkit.LocalServices;
import io.soma.streams.testkit.TcpProxy;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** The pool against the real PostgreSQL, through a path that stops passing bytes as a network partition does. */
class PostgresPoolIT {

    @Test
    void shouldFailACallPostgresStoppedAnsweringInsteadOfWaitingForGood() throws Exception {
        URI postgres = URI.create(LocalServices.testJdbcUrl().substring("jdbc:".length()));
        try (TcpProxy proxy = new TcpProxy(postgres.getHost(), postgres.getPort());
             PostgresPool pool = new PostgresPool("jdbc:postgresql://127.0.0.1:" + proxy.port() + postgres.getPath(),
                     LocalServices.postgresUser(), "", 1, Duration.ofSeconds(2))) {
            try (Connection connection = pool.dataSource().getConnection()) {
                assertThat(selectOne(connection)).isEqualTo(1);
                proxy.stall();
                // without a socket timeout the call would wait for an answer that never comes: the guard ends it
                assertTimeoutPreemptively(Duration.ofSeconds(60), () ->
                        assertThatThrownBy(() -> selectOne(connection)).isInstanceOf(SQLException.class));
            } finally {
                proxy.restore();
            }
        }
    }

    private static int selectOne(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery("SELECT 1")) {
            result.next();
            return result.getInt(1);
        }
    }
}
