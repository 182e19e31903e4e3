package io.soma.streams.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** How busy the machine is while a benchmark measures: runs here share their cores with other work. */
final class MachineLoad {
    private MachineLoad() {
    }

    /** The 1-minute load average, or "?" where there is no /proc/loadavg. */
    static String oneMinute() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }
}
