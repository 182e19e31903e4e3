package io.soma.streams.stores.archive;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A small versioned migrator: {@code db/migration/V<n>__<description>.sql} from the classpath, applied in
 * version order, each in its own transaction, recorded in {@code <schema>.schema_migrations} with a checksum.
 * A PostgreSQL advisory lock serialises instances that start at the same time. {@code ${schema}} in a file
 * stands for the target schema, so tests can migrate a schema of their own.
 */
public final class SchemaMigrator {
    public static final String DEFAULT_SCHEMA = "soma";
    private static final Logger log = LoggerFactory.getLogger(SchemaMigrator.class);
    private static final String LOCATION = "db/migration";
    private static final Pattern FILE_NAME = Pattern.compile("V(\\d+)__(\\w+)\\.sql");
    private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    /**
     * How long an instance waits for another's migration before it fails, naming the session that holds the lock:
     * the chart's startup probe gives a start ten minutes.
     */
    static final Duration LOCK_WAIT = Duration.ofMinutes(9);
    private static final Duration WAIT_REPORT = Duration.ofSeconds(30);
    /**
     * A migrating session the server ends once it sits this long in a transaction without a statement: its instance
     * went away mid-migration, without a reset the server would see for hours, and its lock would hold every start.
     */
    private static final String ABANDONED_TRANSACTION = "5min";

    private final DataSource dataSource;
    private final String schema;
    private final Duration lockWait;

    public SchemaMigrator(DataSource dataSource, String schema) {
        this(dataSource, schema, LOCK_WAIT);
    }

    SchemaMigrator(DataSource dataSource, String schema, Duration lockWait) {
        this.dataSource = dataSource;
        this.schema = checkedSchemaName(schema);
        this.lockWait = lockWait;
    }

    /** Schema names go into SQL text, so only plain lower-case identifiers are accepted. */
    static String checkedSchemaName(String schema) {
        if (schema == null || !SCHEMA_NAME.matcher(schema).matches()) {
            throw new IllegalArgumentException("schema name must match " + SCHEMA_NAME + ": " + schema);
        }
        return schema;
    }

    record Migration(int version, String description, String sql, String checksum) {
    }

    /** @return the versions applied by this call, in order (empty when the schema was up to date) */
    public List<Integer> migrate() {
        List<Migration> migrations = loadMigrations();
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);
            // a migration may rebuild an index of the largest table, and an instance waits here for another's:
            // neither is a call PostgreSQL stopped answering (the pool's socket timeout); back to it on return
            int networkTimeout = connection.getNetworkTimeout();
            connection.setNetworkTimeout(Runnable::run, 0);
            String lockKey = "soma.schema_migrations:" + schema;
            lock(connection, lockKey);
            try (Statement settings = connection.createStatement()) {
                settings.execute("SET idle_in_transaction_session_timeout = '" + ABANDONED_TRANSACTION + "'");
                return applyPending(connection, migrations);
            } finally {
                // the connection goes back to the pool: unlocked, and as it was
                connection.setAutoCommit(true);
                try (Statement settings = connection.createStatement()) {
                    settings.execute("RESET idle_in_transaction_session_timeout");
                }
                execute(connection, "SELECT pg_advisory_unlock(hashtext(?))", lockKey);
                connection.setNetworkTimeout(Runnable::run, networkTimeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to migrate schema " + schema, e);
        } catch (SQLException e) {
            throw new IllegalStateException("migrating schema " + schema + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Takes the schema's migration lock, waiting for another instance's migration (a long one rebuilds an index) up to
     * {@link #lockWait}, and saying so every {@link #WAIT_REPORT}.
     *
     * @throws IllegalStateException past the wait, naming the session that holds the lock
     */
    private void lock(Connection connection, String lockKey) throws SQLException, InterruptedException {
        long start = System.nanoTime();
        long nextReport = start + WAIT_REPORT.toNanos();
        while (!tryLock(connection, lockKey)) {
            long now = System.nanoTime();
            if (now - start >= lockWait.toNanos()) {
                throw new IllegalStateException("schema " + schema + ": another session has held the migration lock "
                        + "for over " + lockWait.toSeconds() + " s (" + holderOf(connection, lockKey) + "); if its "
                        + "instance is gone, end it with SELECT pg_terminate_backend(<pid>)");
            }
            if (now - nextReport >= 0) {
                log.info("schema {}: waiting {} s for another instance's migration ({})", schema,
                        Duration.ofNanos(now - start).toSeconds(), holderOf(connection, lockKey));
                nextReport = now + WAIT_REPORT.toNanos();
            }
            Thread.sleep(200);
        }
    }

    private static boolean tryLock(Connection connection, String lockKey) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement("SELECT pg_try_advisory_lock(hashtext(?))")) {
            lock.setString(1, lockKey);
            try (ResultSet taken = lock.executeQuery()) {
                return taken.next() && taken.getBoolean(1);
            }
        }
    }

    /** Who holds the lock: its backend's pid, client, state and since when, as the server's views say. */
    private static String holderOf(Connection connection, String lockKey) throws SQLException {
        // a one-key advisory lock shows its key's high half as classid and its low half as objid
        try (PreparedStatement holder = connection.prepareStatement("SELECT a.pid, a.client_addr, a.state, "
                + "a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = "
                + "'advisory' AND l.granted AND l.objsubid = 1 AND l.objid = (hashtext(?)::bigint & 4294967295)::oid "
                + "AND l.classid = ((hashtext(?)::bigint >> 32) & 4294967295)::oid")) {
            holder.setString(1, lockKey);
            holder.setString(2, lockKey);
            try (ResultSet rows = holder.executeQuery()) {
                if (!rows.next()) {
                    return "its holder is not visible to this user";
                }
                // a session of another role shows its pid only, without pg_read_all_stats
                Timestamp since = rows.getTimestamp(4);
                return "pid " + rows.getInt(1) + ", client " + rows.getString(2) + ", " + rows.getString(3)
                        + (since == null ? "" : ", connected since " + since.toInstant());
            }
        }
    }

    private List<Integer> applyPending(Connection connection, List<Migration> migrations) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
            statement.execute("CREATE TABLE IF NOT EXISTS " + schema + ".schema_migrations ("
                    + "version INTEGER PRIMARY KEY, description TEXT NOT NULL, checksum TEXT NOT NULL, "
                    + "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
        }
        Map<Integer, String> applied = appliedChecksums(connection);
        List<Integer> appliedNow = new ArrayList<>();
        for (Migration migration : migrations) {
            String checksum = applied.get(migration.version());
            if (checksum != null) {
                if (!checksum.equals(migration.checksum())) {
                    throw new IllegalStateException("migration V" + migration.version() + " of schema " + schema
                            + " was changed after it was applied (checksum " + checksum + " in the database, "
                            + migration.checksum() + " on the classpath)");
                }
                continue;
            }
            apply(connection, migration);
            appliedNow.add(migration.version());
        }
        return appliedNow;
    }

    private void apply(Connection connection, Migration migration) throws SQLException {
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement();
             PreparedStatement record = connection.prepareStatement("INSERT INTO " + schema
                     + ".schema_migrations (version, description, checksum) VALUES (?, ?, ?)")) {
            statement.execute(migration.sql().replace("${schema}", schema));
            record.setInt(1, migration.version());
            record.setString(2, migration.description());
            record.setString(3, migration.checksum());
            record.executeUpdate();
            connection.commit();
            log.info("schema {}: applied migration V{} {}", schema, migration.version(), migration.description());
        } catch (SQLException | RuntimeException e) {
            Rollback.after(connection, e);
            throw e;
        }
    }

    private Map<Integer, String> appliedChecksums(Connection connection) throws SQLException {
        Map<Integer, String> applied = new HashMap<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT version, checksum FROM " + schema + ".schema_migrations")) {
            while (rows.next()) {
                applied.put(rows.getInt(1), rows.getString(2));
            }
        }
        return applied;
    }

    private static void execute(Connection connection, String sql, String parameter) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, parameter);
            statement.execute();
        }
    }

    /** The migrations on the classpath, whether it is a directory (IDE, tests) or a jar (shaded app). */
    static List<Migration> loadMigrations() {
        URL url = SchemaMigrator.class.getClassLoader().getResource(LOCATION);
        if (url == null) {
            throw new IllegalStateException("no " + LOCATION + " on the classpath");
        }
        try {
            URI uri = url.toURI();
            if ("jar".equals(uri.getScheme())) {
                try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
                    return readMigrations(jar.provider().getPath(uri));
                } catch (FileSystemAlreadyExistsException e) {
                    return readMigrations(FileSystems.getFileSystem(uri).provider().getPath(uri));
                }
            }
            return readMigrations(Path.of(uri));
        } catch (URISyntaxException e) {
            throw new IllegalStateException("bad migration location " + url, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read migrations at " + url, e);
        }
    }

    private static List<Migration> readMigrations(Path directory) throws IOException {
        List<Migration> migrations = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.toList()) {
                Matcher name = FILE_NAME.matcher(file.getFileName().toString());
                if (name.matches()) {
                    String sql = Files.readString(file, StandardCharsets.UTF_8);
                    migrations.add(new Migration(Integer.parseInt(name.group(1)), name.group(2), sql, sha256(sql)));
                }
            }
        }
        migrations.sort(Comparator.comparingInt(Migration::version));
        for (int i = 1; i < migrations.size(); i++) {
            if (migrations.get(i).version() == migrations.get(i - 1).version()) {
                throw new IllegalStateException("two migrations with version " + migrations.get(i).version());
            }
        }
        return migrations;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }
}
