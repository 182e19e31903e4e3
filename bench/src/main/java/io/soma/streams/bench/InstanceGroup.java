package io.soma.streams.bench;

import io.soma.streams.devstack.JavaProcess;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * N {@link BenchInstance} JVMs with the same arguments (so one application or group id), started like the local
 * cluster's nodes ({@link JavaProcess}). Each logs to {@code <logDir>/instance-<i>.log}.
 */
final class InstanceGroup implements AutoCloseable {
    private static final List<String> JVM_ARGS = List.of("-Xms64m", "-Xmx512m");

    private final List<Process> processes;

    private InstanceGroup(List<Process> processes) {
        this.processes = processes;
        // instances must not outlive the benchmark, however it ends
        Runtime.getRuntime().addShutdownHook(new Thread(() -> processes.forEach(Process::destroyForcibly),
                "bench-instances-kill"));
    }

    static InstanceGroup start(int count, Path logDir, List<String> instanceArgs) {
        List<Process> started = new ArrayList<>();
        try {
            for (int i = 1; i <= count; i++) {
                started.add(JavaProcess.start(BenchInstance.class, JVM_ARGS, instanceArgs,
                        logDir.resolve("instance-" + i + ".log")));
            }
        } catch (RuntimeException e) {
            started.forEach(Process::destroyForcibly);
            throw e;
        }
        return new InstanceGroup(started);
    }

    /** SIGTERM to every instance (they leave the group), then waits; one that hangs after 60 s is killed. */
    @Override
    public void close() {
        processes.forEach(Process::destroy);
        processes.forEach(p -> JavaProcess.stop(p, false, 60_000));
    }
}
