package io.pharos.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads the CPU time and memory of the processes under test from {@code /proc} (Linux), so that CPU per
 * request covers exactly the counted window of a run. A process that is gone reads as 0.
 *
 * <p>Used by the main thread only (file reads never happen on an event loop).
 *
 * @param pids     the processes to sum (a proxy's master and workers, or one JVM)
 * @param clockTck kernel clock ticks per second ({@code getconf CLK_TCK}, 100 on Linux x86)
 */
record ProcWatch(List<Integer> pids, int clockTck) {

    ProcWatch {
        pids = List.copyOf(pids);
        if (clockTck < 1) {
            throw new IllegalArgumentException("clockTck: " + clockTck + " (expected: >= 1)");
        }
    }

    boolean isEmpty() {
        return pids.isEmpty();
    }

    /** utime + stime of all pids, in clock ticks. */
    long cpuTicks() {
        long sum = 0;
        for (int pid : pids) {
            sum += cpuTicks(pid);
        }
        return sum;
    }

    /** Current resident set of all pids, KiB. */
    long rssKb() {
        return statusKb("VmRSS:");
    }

    /** Peak resident set of all pids, KiB. */
    long peakRssKb() {
        return statusKb("VmHWM:");
    }

    double ticksToSeconds(long ticks) {
        return ticks / (double) clockTck;
    }

    private long statusKb(String key) {
        long sum = 0;
        for (int pid : pids) {
            sum += statusKb(pid, key);
        }
        return sum;
    }

    static long cpuTicks(int pid) {
        String stat = read(Path.of("/proc", Integer.toString(pid), "stat"));
        if (stat == null) {
            return 0;
        }
        return parseCpuTicks(stat);
    }

    /** Fields 14 (utime) and 15 (stime) of a {@code /proc/PID/stat} line; the name in parentheses may hold spaces. */
    static long parseCpuTicks(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/PID/stat line: " + stat);
        }
        String[] f = stat.substring(close + 2).trim().split(" ");
        // f[0] is field 3 (state), so field n is f[n - 3]
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    static long statusKb(int pid, String key) {
        String status = read(Path.of("/proc", Integer.toString(pid), "status"));
        if (status == null) {
            return 0;
        }
        for (String line : status.split("\n")) {
            if (line.startsWith(key)) {
                return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
            }
        }
        return 0;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return null;
        }
    }
}
