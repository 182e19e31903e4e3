package io.soma.streams.bench;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

class CpuAccountTest {
    @Test
    void shouldChargeTheCpuAProcessSpendsToItsRoleOnly() throws InterruptedException {
        Map<String, List<Long>> roles = new LinkedHashMap<>();
        roles.put("this", List.of(ProcessHandle.current().pid()));
        roles.put("gone", List.of(Long.MAX_VALUE)); // no such process: counts nothing
        CpuAccount.Sample from = CpuAccount.sample(roles);
        // busy in a thread of its own name until it has had 0.1 s of CPU, however long a loaded machine takes; it
        // lives on until sampled, as a thread of a measured process does
        CountDownLatch burnt = new CountDownLatch(1);
        CountDownLatch sampled = new CountDownLatch(1);
        Thread busy = new Thread(() -> {
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long until = threads.getCurrentThreadCpuTime() + 100_000_000L;
            long sink = 0;
            while (threads.getCurrentThreadCpuTime() < until) {
                sink += Long.numberOfTrailingZeros(sink + System.nanoTime());
            }
            burnt.countDown();
            try {
                sampled.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "cpuacct-busy-1"); // 14 characters: Linux keeps the whole name
        busy.start();
        burnt.await();

        CpuAccount.Spent spent = CpuAccount.between(from, CpuAccount.sample(roles));
        sampled.countDown();
        busy.join();

        assertThat(spent.seconds()).containsOnlyKeys("this", "gone");
        assertThat(spent.seconds().get("this")).isGreaterThan(0.05); // 0.1 s at least, counted in 10 ms ticks
        assertThat(spent.seconds().get("gone")).isZero();
        assertThat(spent.machineBusy()).isBetween(0.0, 1.0);
        assertThat(spent.perThousand(1_000)).matches("\\d+\\.\\d\\d / 0\\.00 = \\d+\\.\\d\\d");
        // by name without its trailing number
        assertThat(spent.threadSeconds().get("this").get("cpuacct-busy")).isGreaterThan(0.05);
        assertThat(spent.threadSeconds().get("gone")).isEmpty();
    }
}
