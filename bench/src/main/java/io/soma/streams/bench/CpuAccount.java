package io.soma.streams.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CPU time each part of a run (brokers, registry, instances, this driver) spent between two moments, and how busy
 * the whole machine was meanwhile. On a machine whose cores every part shares, a phase that keeps them busy is done
 * at (cores ÷ CPU seconds per record) records a second, whichever process spends them: this says which one does.
 * Process times come from {@link ProcessHandle.Info#totalCpuDuration()}, the machine's from {@code /proc/stat}.
 */
final class CpuAccount {
    /** Seconds of CPU per role, and the share of all the machine's cores busy over the interval (NaN if unknown). */
    record Spent(Map<String, Double> seconds, double machineBusy) {
        double total() {
            return seconds.values().stream().mapToDouble(Double::doubleValue).sum();
        }

        /** Seconds of CPU per 1,000 records, role by role in this order, then the total: "b / i / r / d = t". */
        String perThousand(long records) {
            StringBuilder s = new StringBuilder();
            seconds.values().forEach(v -> s.append(s.isEmpty() ? "" : " / ").append(String.format("%.2f", v * 1000 / records)));
            return s.append(String.format(" = %.2f", total() * 1000 / records)).toString();
        }
    }

    /** The processes of each role at one moment and their CPU time then. */
    record Sample(Map<String, Duration> byRole, long machineBusyTicks, long machineTicks) {
    }

    private CpuAccount() {
    }

    /** Roles in a fixed order, each with its processes' ids (a process that has ended counts nothing). */
    static Sample sample(Map<String, List<Long>> pidsByRole) {
        Map<String, Duration> byRole = new LinkedHashMap<>();
        pidsByRole.forEach((role, pids) -> byRole.put(role, pids.stream()
                .map(pid -> ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration()).orElse(Duration.ZERO))
                .reduce(Duration.ZERO, Duration::plus)));
        long[] machine = machineTicks();
        return new Sample(byRole, machine[0], machine[1]);
    }

    static Spent between(Sample from, Sample to) {
        Map<String, Double> seconds = new LinkedHashMap<>();
        to.byRole().forEach((role, cpu) -> seconds.put(role,
                cpu.minus(from.byRole().getOrDefault(role, Duration.ZERO)).toNanos() / 1e9));
        long ticks = to.machineTicks() - from.machineTicks();
        double busy = ticks > 0 && from.machineTicks() > 0
                ? (double) (to.machineBusyTicks() - from.machineBusyTicks()) / ticks : Double.NaN;
        return new Spent(seconds, busy);
    }

    /** {busy, all} jiffies of every core since boot: the first line of /proc/stat; idle and iowait are not busy. */
    private static long[] machineTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long all = 0;
            for (int i = 1; i < f.length && i <= 8; i++) { // user nice system idle iowait irq softirq steal
                all += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[]{all - idle, all};
        } catch (IOException | RuntimeException e) {
            return new long[]{0, 0};
        }
    }
}
