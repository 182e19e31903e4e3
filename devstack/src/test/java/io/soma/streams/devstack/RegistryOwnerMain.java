package io.soma.streams.devstack;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A process that owns a registry and still needs it in its own shutdown hook, as the demo's apps do while they
 * close (a window flushed on close registers its schema). Prints what the registry answered then.
 */
public final class RegistryOwnerMain {
    /** How long the hook lets the JVM's other shutdown hooks run before it asks the registry. */
    private static final Duration OTHER_HOOKS_HEAD_START = Duration.ofSeconds(2);

    private RegistryOwnerMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        SchemaRegistryProcess registry = SchemaRegistryProcess.start(SchemaRegistryProcess.locateJar(), 0,
                Path.of(args[0]));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Thread.sleep(OTHER_HOOKS_HEAD_START.toMillis());
                HttpResponse<String> subjects = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create(registry.url() + "/subjects"))
                                .timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                System.out.println("registry at shutdown: " + subjects.statusCode());
            } catch (Exception e) {
                System.out.println("registry at shutdown: unreachable (" + e + ")");
            } finally {
                registry.close();
            }
        }, "owner-shutdown"));
        registry.ownerClosesAtExit();
        System.out.println("registry pid " + registry.pid() + " ready at " + registry.url());
        Thread.currentThread().join();
    }
}
