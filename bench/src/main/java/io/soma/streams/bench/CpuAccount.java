package io.soma.streams.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The CPU time each part of a run (brokers, registry, instances, this driver) spent between two moments, and how busy
 * the whole machine was meanwhile. On a machine whose cores every part shares, a phase that keeps them busy is done
 * at (cores ÷ CPU seconds per record) records a second, whichever process spends them: this says which one does.
 * Process times come from {@link ProcessHandle.Info#totalCpuDuration()}, the machine's from {@code /proc/stat}.
 */
final class CpuAccount {
    /** The unit of /proc's tick counts, fixed at 100 by the kernel's interface whatever its internal rate. */
    private static final int USER_HZ = 100;
    private static final Pattern TRAILING_NUMBER = Pattern.compile("[-#_ ]?\\d+$");

    /**
     * Seconds of CPU per role, the share of all the machine's cores busy over the interval (NaN if unknown), and each
     * role's seconds by thread name, most first (a thread that ended meanwhile is left out).
     */
    record Spent(Map<String, Double> seconds, double machineBusy, Map<String, Map<String, Double>> threadSeconds,
                 double wallSeconds) {
        double total() {
            return seconds.values().stream().mapToDouble(Double::doubleValue).sum();
        }

        /** Seconds of CPU per 1,000 records, role by role in this order, then the total: "b / i / r / d = t". */
        String perThousand(long records) {
            StringBuilder s = new StringBuilder();
            seconds.values().forEach(v -> s.append(s.isEmpty() ? "" : " / ").append(String.format(Locale.ROOT, "%.2f", v * 1000 / records)));
            return s.append(String.format(Locale.ROOT, " = %.2f", total() * 1000 / records)).toString();
        }

        /** The role's CPU over the interval in cores: seconds of CPU per second. */
        double cores(String role) {
            return seconds.getOrDefault(role, 0.0) / wallSeconds;
        }

        /** The role's CPU over the interval less what it spends at {@code idleCores}: the work the interval gave it. */
        double net(String role, double idleCores) {
            return seconds.getOrDefault(role, 0.0) - idleCores * wallSeconds;
        }

        /** The role's {@code top} busiest thread names, seconds of CPU per 1,000 records: "name 0.12, ...". */
        String topThreads(String role, int top, long records) {
            return threadSeconds.getOrDefault(role, Map.of()).entrySet().stream().limit(top)
                    .map(e -> String.format(Locale.ROOT, "%s %.2f", e.getKey(), e.getValue() * 1000 / records))
                    .collect(Collectors.joining(", "));
        }
    }

    /** The processes of each role at one moment: their CPU time then, and their live threads' ticks. */
    record Sample(Map<String, Duration> byRole, long machineBusyTicks, long machineTicks,
                  Map<String, Map<String, ThreadTicks>> threadTicks, long nanos) {
    }

    /** One thread's name (without its trailing number, so a pool's threads add up) and its ticks so far. */
    record ThreadTicks(String name, long ticks) {
    }

    private CpuAccount() {
    }

    /** Roles in a fixed order, each with its processes' ids (a process that has ended counts nothing). */
    static Sample sample(Map<String, List<Long>> pidsByRole) {
        Map<String, Duration> byRole = new LinkedHashMap<>();
        Map<String, Map<String, ThreadTicks>> threads = new HashMap<>();
        pidsByRole.forEach((role, pids) -> {
            byRole.put(role, pids.stream()
                    .map(pid -> ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration()).orElse(Duration.ZERO))
                    .reduce(Duration.ZERO, Duration::plus));
            threads.put(role, threadTicks(pids));
        });
        long[] machine = machineTicks();
        return new Sample(byRole, machine[0], machine[1], threads, System.nanoTime());
    }

    static Spent between(Sample from, Sample to) {
        Map<String, Double> seconds = new LinkedHashMap<>();
        to.byRole().forEach((role, cpu) -> seconds.put(role,
                cpu.minus(from.byRole().getOrDefault(role, Duration.ZERO)).toNanos() / 1e9));
        long ticks = to.machineTicks() - from.machineTicks();
        double busy = ticks > 0 && from.machineTicks() > 0
                ? (double) (to.machineBusyTicks() - from.machineBusyTicks()) / ticks : Double.NaN;
        Map<String, Map<String, Double>> threads = new HashMap<>();
        to.threadTicks().forEach((role, byThread) -> {
            // thread by thread, then by name: a thread that ended meanwhile must not take from one still running
            Map<String, ThreadTicks> before = from.threadTicks().getOrDefault(role, Map.of());
            Map<String, Double> byName = new HashMap<>();
            byThread.forEach((id, now) -> byName.merge(now.name(),
                    (now.ticks() - (before.containsKey(id) ? before.get(id).ticks() : 0)) / (double) USER_HZ, Double::sum));
            Map<String, Double> sorted = new LinkedHashMap<>();
            byName.entrySet().stream().filter(e -> e.getValue() > 0)
                    .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                    .forEach(e -> sorted.put(e.getKey(), e.getValue()));
            threads.put(role, sorted);
        });
        return new Spent(seconds, busy, threads, (to.nanos() - from.nanos()) / 1e9);
    }

    /**
     * Every live thread of the processes, by "pid/tid", with its name and ticks, from
     * {@code /proc/<pid>/task/<tid>/stat} (Linux keeps 15 characters of a name). A thread that ended meanwhile is
     * left out, and so is the CPU it spent since the last sample.
     */
    private static Map<String, ThreadTicks> threadTicks(List<Long> pids) {
        Map<String, ThreadTicks> byThread = new HashMap<>();
        for (long pid : pids) {
            try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
                for (Path task : tasks) {
                    try {
                        String stat = Files.readString(task.resolve("stat"));
                        int close = stat.lastIndexOf(')');
                        String name = TRAILING_NUMBER.matcher(stat.substring(stat.indexOf('(') + 1, close)).replaceAll("");
                        String[] fields = stat.substring(close + 2).split(" "); // from field 3, the state
                        byThread.put(pid + "/" + task.getFileName(), new ThreadTicks(name,
                                Long.parseLong(fields[14 - 3]) + Long.parseLong(fields[15 - 3])));
                    } catch (IOException | RuntimeException e) {
                        // this thread ended while being read: the others still count
                    }
                }
            } catch (IOException | RuntimeException e) {
                // the process ended: it has nothing more to count
            }
        }
        return byThread;
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
