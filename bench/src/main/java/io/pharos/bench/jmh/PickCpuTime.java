package io.pharos.bench.jmh;

import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.LoadBalancer;
import io.pharos.proxy.cluster.PickContext;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The picks of {@link PickBenchmark} (one thread) timed in the thread's CPU time instead of wall time,
 * so that time spent descheduled on a machine shared with other builds does not count: best of five
 * rounds of 2 000 000 picks after 3 000 000 warm-up picks. A cross-check of the JMH figures on a noisy
 * machine, not a replacement; prints a markdown table.
 *
 * <p>Run: {@code java -cp "bench/target/pharos-bench-*.jar:bench/target/lib/*" io.pharos.bench.jmh.PickCpuTime}
 */
public final class PickCpuTime {
    private static final String[] ALGORITHMS = {"round-robin", "weighted-round-robin", "random", "least-request",
            "peak-ewma", "ring-hash", "maglev"};
    private static final int[] SIZES = {3, 16, 256};
    private static final int WARMUP = 3_000_000;
    private static final int PICKS = 2_000_000;
    private static final int ROUNDS = 5;

    private PickCpuTime() {
    }

    public static void main(String[] args) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        PickContext[] contexts = PickBenchmark.contexts();
        System.out.println("| algorithm | backends | CPU ns/pick (best of " + ROUNDS + ") |");
        System.out.println("|---|---:|---:|");
        for (String algorithm : ALGORITHMS) {
            for (int n : SIZES) {
                LoadBalancer lb = PickBenchmark.newBalancer(algorithm, n);
                long sink = run(lb, contexts, WARMUP);
                double best = Double.MAX_VALUE;
                for (int r = 0; r < ROUNDS; r++) {
                    long start = threads.getCurrentThreadCpuTime();
                    sink += run(lb, contexts, PICKS);
                    best = Math.min(best, (double) (threads.getCurrentThreadCpuTime() - start) / PICKS);
                }
                System.out.printf("| %s | %d | %.1f |%s%n", algorithm, n, best, sink == 42 ? " " : "");
            }
        }
    }

    /** Returns a value depending on every pick, so the JIT cannot drop them. */
    private static long run(LoadBalancer lb, PickContext[] contexts, int picks) {
        long sink = 0;
        for (int i = 0; i < picks; i++) {
            Backend b = lb.pick(contexts[i & (PickBenchmark.CONTEXTS - 1)]);
            sink += b.name().length();
        }
        return sink;
    }
}
