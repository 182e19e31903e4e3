package io.soma.streams.testkit;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.Timer;
import java.util.TimerTask;

/**
 * Ends a test JVM in which no test or class has started or ended for {@code soma.test.jvm.limit} (an ISO-8601
 * duration the build sets): it prints every thread's stack, then halts the JVM, so the build fails at once with the
 * cause in its log. Per-test timeouts stop a hung test method; this catches what hangs outside them (a class
 * initializer, an extension; not what hangs after the session closed, which surefire's fork timeout is left for).
 * It counts from the last test event, not from the JVM's start, so a JVM that runs many classes one after another is
 * not ended for being busy. Surefire's own fork timeout does not end a fork whose threads ignore interrupts.
 * Registered for every test JVM that has the kit on its class path (META-INF/services).
 */
public final class HangWatchdog implements LauncherSessionListener {
    private Timer timer;
    private volatile long lastEventNanos = System.nanoTime();

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        String limit = System.getProperty("soma.test.jvm.limit");
        if (limit == null || limit.isBlank()) {
            return;
        }
        Duration delay = Duration.parse(limit);
        lastEventNanos = System.nanoTime();
        session.getLauncher().registerTestExecutionListeners(new TestExecutionListener() {
            @Override
            public void executionStarted(TestIdentifier test) {
                lastEventNanos = System.nanoTime();
            }

            @Override
            public void executionFinished(TestIdentifier test, TestExecutionResult result) {
                lastEventNanos = System.nanoTime();
            }
        });
        long checkEveryMs = Math.max(1, Math.min(10_000, delay.toMillis() / 10));
        timer = new Timer("test-jvm-limit", true);
        timer.scheduleAtFixedRate(new TimerTask() {
            @Override
            public void run() {
                if (System.nanoTime() - lastEventNanos < delay.toNanos()) {
                    return;
                }
                String dump = threadDump("no test started or ended in this test JVM for soma.test.jvm.limit="
                        + delay + "; halting it");
                // to the test's report (System.err) and to the process's own stderr, which the build log shows
                System.err.println(dump);
                System.err.flush();
                PrintStream processErr = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
                processErr.println(dump);
                Await.pauseQuietly(Duration.ofSeconds(2)); // lets the test runner pass System.err on
                // halt skips shutdown hooks: end the child JVMs they would have stopped (registry, cluster nodes)
                ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
                Runtime.getRuntime().halt(3);
            }
        }, checkEveryMs, checkEveryMs);
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        if (timer != null) {
            timer.cancel();
        }
    }

    /** Every live thread's state and full stack, headed by {@code reason}. */
    public static String threadDump(String reason) {
        StringBuilder out = new StringBuilder("==== thread dump at ").append(Instant.now()).append(": ")
                .append(reason).append('\n');
        for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            out.append('"').append(info.getThreadName()).append("\" ").append(info.getThreadState());
            if (info.getLockName() != null) {
                out.append(" on ").append(info.getLockName());
            }
            if (info.getLockOwnerName() != null) {
                out.append(" owned by \"").append(info.getLockOwnerName()).append('"');
            }
            out.append('\n');
            for (StackTraceElement frame : info.getStackTrace()) {
                out.append("\tat ").append(frame).append('\n');
            }
        }
        return out.append("==== end of thread dump\n").toString();
    }
}
