package io.soma.streams.devstack;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The real local infrastructure: an in-process Kafka broker and a schema-registry child process.
 * Redis and PostgreSQL are not started here; they run as machine services at their standard ports
 * (the test kit's {@code LocalServices}).
 */
public final class LocalStack implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalStack.class);
    private static LocalStack shared;

    private final EmbeddedKafkaBroker broker;
    private final SchemaRegistryProcess registry;

    private LocalStack(EmbeddedKafkaBroker broker, SchemaRegistryProcess registry) {
        this.broker = broker;
        this.registry = registry;
    }

    /**
     * Starts broker and registry side by side under {@code dataDir} (kept between runs).
     *
     * @param kafkaPort    client port of the broker, 0 for a free one
     * @param registryPort HTTP port of the registry, 0 for a free one
     */
    public static LocalStack start(Path dataDir, int kafkaPort, int registryPort, Map<String, String> brokerOverrides) {
        Path jar = SchemaRegistryProcess.locateJar();
        createDirectories(dataDir);
        // the registry is a separate JVM: it boots while the broker starts here
        CompletableFuture<SchemaRegistryProcess> registry = CompletableFuture.supplyAsync(
                () -> SchemaRegistryProcess.start(jar, registryPort, dataDir.resolve("schema-registry.log")));
        EmbeddedKafkaBroker broker;
        try {
            broker = EmbeddedKafkaBroker.start(dataDir.resolve("kafka"), kafkaPort, brokerOverrides);
        } catch (RuntimeException e) {
            registry.thenAccept(SchemaRegistryProcess::close);
            throw e;
        }
        try {
            return new LocalStack(broker, registry.join());
        } catch (CompletionException e) {
            broker.close();
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
    }

    /**
     * One stack per test JVM, under {@code soma.test.work.dir} (set by surefire to the module's build dir),
     * started on first use and stopped when the JVM exits.
     */
    public static synchronized LocalStack shared() {
        if ("unit".equals(System.getProperty("soma.test.tier"))) {
            // the build runs *Test classes with this tier: they must not need a server (docs/testing.md)
            throw new IllegalStateException("a *Test class started the real stack: name it *IT (docs/testing.md)");
        }
        if (shared == null) {
            Path dir = Path.of(System.getProperty("soma.test.work.dir", "target/test-work"))
                    .resolve("stack-" + ProcessHandle.current().pid());
            long started = System.nanoTime();
            shared = start(dir, 0, 0, Map.of());
            log.info("shared test stack ready in {} ms: kafka {} registry {}",
                    (System.nanoTime() - started) / 1_000_000, shared.bootstrapServers(), shared.schemaRegistryUrl());
            LocalStack stack = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "local-stack-shutdown"));
            stack.ownerClosesAtExit();
        }
        return shared;
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** The Confluent-compatible API base URL of the registry. */
    public String schemaRegistryUrl() {
        return registry.url();
    }

    /** Says that the owner closes this stack in a shutdown hook of its own (see the registry's own method). */
    public void ownerClosesAtExit() {
        registry.ownerClosesAtExit();
    }

    @Override
    public void close() {
        try {
            broker.close();
        } finally {
            registry.close();
        }
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }
}
