package io.soma.streams.bench;

import io.soma.streams.devstack.LocalStack;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The demo's broker and registry in a JVM of their own, for measuring the edge as production runs it (Kafka outside
 * its process): {@code java -cp benchmarks.jar io.soma.streams.bench.StandaloneStack <dir> <kafka port>
 * <registry port>} (0: a free one). Prints {@code stack ready: <bootstrap> <registry url>} once both answer;
 * SIGTERM stops both.
 */
public final class StandaloneStack {
    private StandaloneStack() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 3) {
            System.err.println("usage: StandaloneStack <data dir> <kafka port> <registry port>");
            System.exit(2);
        }
        LocalStack stack = LocalStack.start(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]),
                Map.of());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stack.close();
            stopped.countDown();
        }, "stack-shutdown"));
        stack.ownerClosesAtExit();
        System.out.println("stack ready: " + stack.bootstrapServers() + " " + stack.schemaRegistryUrl());
        stopped.await();
    }
}
