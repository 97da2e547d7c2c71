package io.pharos.proxy.lb;

import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.LoadBalancer;
import io.pharos.proxy.cluster.PickContext;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Smooth weighted round robin, the balancer of both {@code round-robin} and {@code weighted-round-robin}
 * (as in HAProxy's {@code roundrobin}, weights are honoured; equal weights reduce by their gcd to the
 * plain rotation a b c a b c): NGINX's smooth interleaving (5:1:1 gives a a b a c a a, never five in
 * a row), precomputed off the hot path into a schedule of candidate indexes that picks walk with one
 * atomic cursor. The schedule has {@code sum(weights / gcd)} entries, at most {@link #MAX_SCHEDULE}:
 * larger weight sums are scaled down (each weight keeps at least 1), which bounds the build at
 * {@code MAX_SCHEDULE × candidates} steps and 256 KiB.
 *
 * <p>Picks run on any event loop; the cursor is the only mutable state. A rebuild keeps the cursor
 * of the balancer it replaces, and the schedule too when the candidates and weights did not change.
 */
final class WeightedRoundRobinLoadBalancer implements LoadBalancer {
    static final int MAX_SCHEDULE = 1 << 16;

    private final Candidates candidates;
    private final SlowStart slowStart;
    private final int[] schedule;
    /** Position in the schedule; shared with the balancer this one replaced; any picker. */
    private final AtomicInteger cursor;

    WeightedRoundRobinLoadBalancer(LoadBalancer old, Candidates candidates, SlowStart slowStart) {
        this.candidates = candidates;
        this.slowStart = slowStart;
        if (old instanceof WeightedRoundRobinLoadBalancer w) {
            this.cursor = w.cursor;
            this.schedule = candidates.sameWeightedBackends(w.candidates) ? w.schedule : schedule(candidates.weights);
        } else {
            this.cursor = new AtomicInteger();
            this.schedule = schedule(candidates.weights);
        }
    }

    /** NGINX smooth WRR, run once per schedule entry. */
    static int[] schedule(int[] weights) {
        int n = weights.length;
        if (n == 0) {
            return new int[0];
        }
        int gcd = 0;
        long total = 0;
        for (int w : weights) {
            gcd = gcd(gcd, w);
            total += w;
        }
        long[] w = new long[n];
        long sum = 0;
        for (int i = 0; i < n; i++) {
            w[i] = weights[i] / gcd;
            if (total / gcd > MAX_SCHEDULE) {
                w[i] = Math.max(1, weights[i] * (long) MAX_SCHEDULE / total);
            }
            sum += w[i];
        }
        int[] schedule = new int[Math.toIntExact(sum)];
        long[] current = new long[n];
        for (int k = 0; k < schedule.length; k++) {
            int best = 0;
            for (int i = 0; i < n; i++) {
                current[i] += w[i];
                if (current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= sum;
            schedule[k] = best;
        }
        return schedule;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    @Override
    public Backend pick(PickContext ctx) {
        int[] s = schedule;
        int len = s.length;
        if (len == 0) {
            return null;
        }
        Backend[] backends = candidates.backends;
        long now = slowStart.now();
        int i = 0;
        for (int a = 0; a < Selection.MAX_ATTEMPTS; a++) {
            i = s[(cursor.getAndIncrement() & Integer.MAX_VALUE) % len];
            Backend b = backends[i];
            if (!ctx.isTried(b) && (now == SlowStart.NOT_RAMPING || slowStart.accept(i, now))) {
                return b;
            }
        }
        return candidates.firstUntried(i, ctx);
    }
}
