package io.soma.streams.reliability;

import io.soma.streams.devstack.FreePort;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL server of the drill's own: the machine's PostgreSQL binaries, a cluster initialised under the
 * drill's directory, its own port, trust auth on 127.0.0.1 — so that stopping it disturbs nothing else. Run as
 * the {@code postgres} user when this JVM is root (PostgreSQL refuses to run as root).
 */
final class PrivatePostgres implements AutoCloseable {
    private final Path dataDir;
    private final Path binDir;
    private final int port;

    private PrivatePostgres(Path dataDir, Path binDir, int port) {
        this.dataDir = dataDir;
        this.binDir = binDir;
        this.port = port;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> pgCtl("stop", "-m", "immediate"), "private-postgres-stop"));
    }

    /** Initialises a cluster in {@code dir} (a fresh one each run) and starts it. */
    static PrivatePostgres start(Path dir) {
        PrivatePostgres pg = new PrivatePostgres(dir.resolve("pgdata"), binDir(), FreePort.onLoopback());
        try {
            Files.createDirectories(dir);
            if (isRoot()) {
                run(List.of("chown", "postgres:postgres", dir.toString()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        pg.asOwner(List.of(pg.binDir.resolve("initdb").toString(), "-D", pg.dataDir.toString(), "-U", "postgres",
                "-A", "trust", "--no-sync"));
        pg.start();
        return pg;
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    /** Starts the server and waits until it accepts connections. */
    void start() {
        // TCP only: a Unix socket path under a deep work dir can pass the 107-byte limit, and the server would not start
        pgCtl("start", "-w", "-t", "60", "-l", dataDir.resolve("server.log").toString(), "-o",
                "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=''");
    }

    /** A fast shutdown: open connections are cut, as in an outage. */
    void stop() {
        pgCtl("stop", "-w", "-m", "fast");
    }

    @Override
    public void close() {
        pgCtl("stop", "-m", "immediate");
    }

    private void pgCtl(String... args) {
        List<String> command = new ArrayList<>(List.of(binDir.resolve("pg_ctl").toString(), "-D", dataDir.toString()));
        command.addAll(List.of(args));
        asOwner(command);
    }

    private void asOwner(List<String> command) {
        List<String> full = new ArrayList<>();
        if (isRoot()) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        run(full);
    }

    private static String run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out.strip());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + command, e);
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /**
     * The server binaries: {@code drill.postgres.bin.dir}, else {@code pg_config --bindir} when it holds them (the
     * client package's pg_config names /usr/bin, which has no initdb), else the newest /usr/lib/postgresql/N/bin.
     */
    private static Path binDir() {
        String configured = System.getProperty("drill.postgres.bin.dir");
        if (configured != null && !configured.isBlank()) {
            Path dir = Path.of(configured);
            if (!holdsServer(dir)) {
                throw new IllegalStateException("drill.postgres.bin.dir " + dir + " has no executable initdb and pg_ctl");
            }
            return dir;
        }
        try {
            Path dir = Path.of(run(List.of("pg_config", "--bindir")).strip());
            if (holdsServer(dir)) {
                return dir;
            }
        } catch (RuntimeException noPgConfig) {
            // the server's own directories below
        }
        try (var versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.map(v -> v.resolve("bin")).filter(PrivatePostgres::holdsServer).max(Path::compareTo)
                    .orElseThrow(() -> new IllegalStateException("no PostgreSQL server binaries found under "
                            + "/usr/lib/postgresql; set drill.postgres.bin.dir"));
        } catch (IOException e) {
            throw new IllegalStateException("no PostgreSQL server binaries found (pg_config, /usr/lib/postgresql); set "
                    + "drill.postgres.bin.dir", e);
        }
    }

    private static boolean holdsServer(Path dir) {
        return Files.isExecutable(dir.resolve("initdb")) && Files.isExecutable(dir.resolve("pg_ctl"));
    }
}
