package io.soma.streams.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/** Where tests find the real datasets and where they may write. */
public final class TestPaths {
    private TestPaths() {
    }

    /**
     * The real datasets: {@code -Dsoma.data.dir} (the build sets it), else {@code ../shared/data} beside the
     * project root, whichever module the test runs in.
     */
    public static Path dataDir() {
        String configured = System.getProperty("soma.data.dir");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return projectRoot().resolve("../shared/data").normalize();
    }

    /** A new directory of its own under the module's test work dir ({@code soma.test.work.dir}). */
    public static Path newWorkDir(String purpose) {
        Path dir = Path.of(System.getProperty("soma.test.work.dir", "target/test-work"))
                .resolve(purpose + "-" + UUID.randomUUID());
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    /** Deletes {@code dir} and everything under it; a missing dir is fine. */
    public static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot delete " + p, e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot walk " + dir, e);
        }
    }

    /** The nearest directory, from the working directory up, that holds the Maven reactor ({@code .mvn}). */
    private static Path projectRoot() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve(".mvn"))) {
                return p;
            }
        }
        return dir;
    }
}
