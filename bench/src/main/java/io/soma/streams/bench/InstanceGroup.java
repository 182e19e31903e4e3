package io.soma.streams.bench;

import io.soma.streams.devstack.JavaProcess;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * N {@link BenchInstance} JVMs with the same arguments (so one application or group id), started like the local
 * cluster's nodes ({@link JavaProcess}). Each logs to {@code <logDir>/instance-<i>.log}.
 */
final class InstanceGroup implements AutoCloseable {
    private static final List<String> JVM_ARGS = List.of("-Xms64m", "-Xmx512m");
    /** Extra JVM options for every instance, space-separated, e.g. a JFR recording: {@code bench.instance.jvm}. */
    private static final String EXTRA_JVM_ARGS = "bench.instance.jvm";

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
                started.add(JavaProcess.start(BenchInstance.class, jvmArgs(logDir.resolve("instance-" + i)),
                        instanceArgs, logDir.resolve("instance-" + i + ".log")));
            }
        } catch (RuntimeException e) {
            started.forEach(Process::destroyForcibly);
            throw e;
        }
        return new InstanceGroup(started);
    }

    /**
     * {@code {dir}} in an extra option becomes the instance's own path, so each JFR recording has its file. The
     * launcher's settings to try ({@code bench.streams.*}, {@code bench.copy.*}) reach every instance.
     */
    private static List<String> jvmArgs(Path instancePath) {
        List<String> args = new ArrayList<>(JVM_ARGS);
        System.getProperties().stringPropertyNames().stream()
                .filter(n -> n.startsWith(BenchApp.STREAMS_OVERRIDE_PREFIX) || n.startsWith(TransactionalCopy.SETTINGS_PREFIX))
                .sorted()
                .forEach(n -> args.add("-D" + n + "=" + System.getProperty(n)));
        String extra = System.getProperty(EXTRA_JVM_ARGS, "").trim();
        if (!extra.isEmpty()) {
            for (String option : extra.split("\\s+")) {
                args.add(option.replace("{dir}", instancePath.toString()));
            }
        }
        return args;
    }

    List<Long> pids() {
        return processes.stream().map(Process::pid).toList();
    }

    /**
     * Waits until consumer group {@code groupId} is stable with every instance a member holding partitions (one
     * stream thread or consumer per instance), runs {@code beforeGo}, then lets them all start processing.
     */
    void startWhenSettled(String bootstrap, String groupId, Duration timeout, Runnable beforeGo) throws Exception {
        awaitGroup(bootstrap, groupId, timeout, "the group did not settle with " + processes.size() + " members",
                group -> group.isPresent() && group.get().groupState() == GroupState.STABLE
                        && group.get().members().size() == processes.size()
                        && group.get().members().stream().noneMatch(m -> m.assignment().topicPartitions().isEmpty()));
        beforeGo.run();
        tell("go");
    }

    /**
     * Every instance leaves group {@code groupId} and joins the next id's, paused ({@link BenchInstance}); returns once
     * the group is empty, so nothing it still commits falls into what is measured next.
     */
    void next(String bootstrap, String groupId, Duration timeout) throws Exception {
        tell("next");
        awaitGroup(bootstrap, groupId, timeout, "the instances did not leave", group -> group.isEmpty()
                || group.get().groupState() == GroupState.EMPTY || group.get().groupState() == GroupState.DEAD);
    }

    private void tell(String line) throws IOException {
        for (Process p : processes) {
            p.getOutputStream().write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            p.getOutputStream().flush();
        }
    }

    /** Polls the group's description (empty: no such group yet, or any more) every 100 ms until {@code reached}. */
    private static void awaitGroup(String bootstrap, String groupId, Duration timeout, String notReached,
                                   Predicate<Optional<ConsumerGroupDescription>> reached) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!reached.test(describe(admin, groupId))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(groupId + ": " + notReached + " within " + timeout);
                }
                Thread.sleep(100);
            }
        }
    }

    private static Optional<ConsumerGroupDescription> describe(Admin admin, String groupId) throws Exception {
        try {
            return Optional.of(admin.describeConsumerGroups(List.of(groupId)).all().get(30, TimeUnit.SECONDS)
                    .get(groupId));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** SIGTERM to every instance (they leave the group), then waits; one that hangs after 60 s is killed. */
    @Override
    public void close() {
        processes.forEach(Process::destroy);
        processes.forEach(p -> JavaProcess.stop(p, false, 60_000));
    }
}
