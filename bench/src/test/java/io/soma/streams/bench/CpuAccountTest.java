package io.soma.streams.bench;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CpuAccountTest {
    @Test
    void shouldChargeTheCpuAProcessSpendsToItsRoleOnly() {
        Map<String, List<Long>> roles = new LinkedHashMap<>();
        roles.put("this", List.of(ProcessHandle.current().pid()));
        roles.put("gone", List.of(Long.MAX_VALUE)); // no such process: counts nothing
        CpuAccount.Sample from = CpuAccount.sample(roles);
        // busy until this thread has had 0.1 s of CPU, however long a loaded machine takes to give it
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long until = threads.getCurrentThreadCpuTime() + 100_000_000L;
        long sink = 0;
        while (threads.getCurrentThreadCpuTime() < until) {
            sink += Long.numberOfTrailingZeros(sink + System.nanoTime());
        }

        CpuAccount.Spent spent = CpuAccount.between(from, CpuAccount.sample(roles));

        assertThat(sink).isNotNegative();
        assertThat(spent.seconds()).containsOnlyKeys("this", "gone");
        assertThat(spent.seconds().get("this")).isGreaterThan(0.05); // 0.1 s at least, counted in 10 ms ticks
        assertThat(spent.seconds().get("gone")).isZero();
        assertThat(spent.machineBusy()).isBetween(0.0, 1.0);
        assertThat(spent.perThousand(1_000)).matches("\\d+\\.\\d\\d / 0\\.00 = \\d+\\.\\d\\d");
        // this thread's name, as Linux keeps it (15 characters), holds the busiest thread's CPU
        String name = Thread.currentThread().getName();
        String kept = name.substring(0, Math.min(15, name.length())).replaceAll("[-#_ ]?\\d+$", "");
        assertThat(spent.threadSeconds().get("this")).containsKey(kept);
        assertThat(spent.threadSeconds().get("this").values().iterator().next()).isGreaterThan(0.05);
        assertThat(spent.threadSeconds().get("gone")).isEmpty();
    }
}
