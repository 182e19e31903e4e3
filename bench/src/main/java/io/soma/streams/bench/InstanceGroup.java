package io.soma.streams.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * N {@link BenchInstance} JVMs with the same arguments (so one application or group id), started the way the local
 * Kafka cluster starts its nodes: this JVM's java and class path. Each logs to {@code <logDir>/instance-<i>.log}.
 */
final class InstanceGroup implements AutoCloseable {
    private final List<Process> processes;

    private InstanceGroup(List<Process> processes) {
        this.processes = processes;
        // instances must not outlive the benchmark, however it ends
        Runtime.getRuntime().addShutdownHook(new Thread(() -> processes.forEach(Process::destroyForcibly),
                "bench-instances-kill"));
    }

    static InstanceGroup start(int count, Path logDir, List<String> instanceArgs) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> started = new ArrayList<>();
        try {
            Files.createDirectories(logDir);
            for (int i = 1; i <= count; i++) {
                List<String> command = new ArrayList<>(List.of(java, "-Xms64m", "-Xmx512m",
                        "-cp", System.getProperty("java.class.path"), BenchInstance.class.getName()));
                command.addAll(instanceArgs);
                started.add(new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(logDir.resolve("instance-" + i + ".log").toFile()).start());
            }
        } catch (IOException e) {
            started.forEach(Process::destroyForcibly);
            throw new UncheckedIOException("cannot start a bench instance", e);
        }
        return new InstanceGroup(started);
    }

    /** SIGTERM to every instance (they leave the group), then waits; one that hangs is killed. */
    @Override
    public void close() throws InterruptedException {
        processes.forEach(Process::destroy);
        for (Process p : processes) {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
            }
        }
    }
}
