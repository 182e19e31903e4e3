package io.soma.streams.edge.auth;

import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

import javax.sql.DataSource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * A private Redis key namespace and PostgreSQL schema per test class (on devstack's {@code LocalServices}),
 * and real tenant ids from the ServeGen trace.
 */
final class AuthTestSupport {
    private AuthTestSupport() {
    }

    static String newRedisNamespace() {
        return "test:auth:" + UUID.randomUUID() + ":";
    }

    static String newSchema() {
        return "auth_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }

    static void deleteRedisNamespace(JedisPooled redis, String namespace) {
        String cursor = ScanParams.SCAN_POINTER_START;
        do {
            ScanResult<String> page = redis.scan(cursor, new ScanParams().match(namespace + "*").count(500));
            if (!page.getResult().isEmpty()) {
                redis.del(page.getResult().toArray(String[]::new));
            }
            cursor = page.getCursor();
        } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    }

    static void dropSchema(DataSource dataSource, String schema) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement statement = c.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    /** The first {@code count} client ids ("tenants") of the ServeGen m-large trace. */
    static List<String> realTenants(int count) {
        Path file = dataDir().resolve("servegen-language/servegen_m-large.csv");
        try (BufferedReader in = Files.newBufferedReader(file)) {
            return in.lines().skip(1).map(line -> line.substring(0, line.indexOf(','))).distinct().limit(count).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    static byte[] randomBytes() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return secret;
    }

    /** 256 random bits, as an API key is made. */
    static String randomKey() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes());
    }

    private static Path dataDir() {
        String configured = System.getProperty("soma.data.dir");
        return Path.of(configured != null ? configured : "../shared/data");
    }
}
