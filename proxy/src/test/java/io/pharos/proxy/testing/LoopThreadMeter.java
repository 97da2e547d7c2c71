package io.pharos.proxy.testing;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Heap bytes allocated and CPU time used by the proxy's event-loop threads ({@code pharos-loop-*},
 * {@code pharos-accept-*}) between {@link #start()} and {@link Sample stop}, from
 * {@code com.sun.management.ThreadMXBean}. For measurements, not for timed assertions.
 */
public final class LoopThreadMeter {
    private static final com.sun.management.ThreadMXBean MX = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final long[] ids;
    private final long bytes;
    private final long cpu;

    private LoopThreadMeter(long[] ids) {
        this.ids = ids;
        this.bytes = sum(MX.getThreadAllocatedBytes(ids));
        this.cpu = sum(MX.getThreadCpuTime(ids));
    }

    /** What the loop threads did between start and stop. */
    public record Sample(long bytes, long cpuNanos) {
    }

    public static LoopThreadMeter start() {
        long[] ids = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("pharos-loop") || t.getName().startsWith("pharos-accept"))
                .mapToLong(Thread::threadId)
                .toArray();
        if (ids.length == 0) {
            throw new IllegalStateException("no pharos-loop threads: is the proxy running in this JVM?");
        }
        return new LoopThreadMeter(ids);
    }

    public Sample stop() {
        return new Sample(sum(MX.getThreadAllocatedBytes(ids)) - bytes, sum(MX.getThreadCpuTime(ids)) - cpu);
    }

    private static long sum(long[] values) {
        return Arrays.stream(values).filter(v -> v > 0).sum();
    }
}
