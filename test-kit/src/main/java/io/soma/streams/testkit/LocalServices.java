package io.soma.streams.testkit;

/**
 * Addresses of the machine's own Redis and PostgreSQL (trust auth on 127.0.0.1), overridable by
 * environment for machines where they live elsewhere. Tests use them only through a private namespace
 * ({@link RedisNamespace}, {@link PrivateSchema}), never the application's own keys and schema.
 */
public final class LocalServices {
    private LocalServices() {
    }

    public static String redisUrl() {
        return env("SOMA_REDIS_URL", "redis://127.0.0.1:6379");
    }

    /** Tests use the {@code test} database the machine provides, never the application's own. */
    public static String testJdbcUrl() {
        return env("SOMA_TEST_JDBC_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    }

    public static String postgresUser() {
        return env("SOMA_POSTGRES_USER", "postgres");
    }

    private static String env(String name, String fallback) {
        if ("unit".equals(System.getProperty("soma.test.tier"))) {
            // the build runs *Test classes with this tier: they must not need a server (docs/testing.md)
            throw new IllegalStateException("a *Test class asked for " + name + ": name it *IT (docs/testing.md)");
        }
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
