package io.soma.streams.devstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A main class of this classpath started as a separate JVM (so that it can be killed like a real process), its
 * output appended to a log file. Used for the brokers of {@link LocalKafkaCluster} and the app instances of the
 * reliability drills.
 */
public final class JavaProcess {
    private JavaProcess() {
    }

    /** Starts {@code java <jvmArgs> -cp <this JVM's classpath> <mainClass> <args>}. */
    public static Process start(Class<?> mainClass, List<String> jvmArgs, List<String> args, Path logFile) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(args);
        try {
            Files.createDirectories(logFile.toAbsolutePath().getParent());
            return new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + mainClass.getSimpleName(), e);
        }
    }

    /** SIGTERM (clean shutdown hooks) or SIGKILL, then waits for the exit; a process that ignores SIGTERM is killed. */
    public static void stop(Process process, boolean kill, long waitMillis) {
        if (kill) {
            process.destroyForcibly();
        } else {
            process.destroy();
        }
        try {
            if (!process.waitFor(waitMillis, TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
