package io.pharos.proxy.lb;

import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.LoadBalancer;
import io.pharos.proxy.cluster.LoadBalancerFactory;
import io.pharos.proxy.cluster.PickContext;
import io.pharos.proxy.config.PharosConfig.Algorithm;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.pharos.proxy.lb.TestMembers.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PowerOfChoicesLoadBalancerTest {
    private static final int PICKS = 20_000;
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /** The peak-EWMA balancers' clock; a new one for every test. */
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    @Test
    void leastRequestAvoidsTheBackendWithMoreInFlight() {
        List<Backend> backends = backends(2);
        LoadBalancer lb = build(config(Algorithm.LEAST_REQUEST), members(backends));
        start(backends.get(0), 10);
        int[] counts = count(lb, backends);
        // it wins only when both draws fall on it: a quarter of the picks
        assertTrue(counts[0] < PICKS * 0.3, "busy backend got " + counts[0] + " of " + PICKS);
        assertTrue(counts[1] > PICKS * 0.7, "idle backend got " + counts[1] + " of " + PICKS);
    }

    @Test
    void leastRequestComparesInFlightPerWeight() {
        List<Backend> backends = backends(2);
        LoadBalancer lb = build(config(Algorithm.LEAST_REQUEST), members(backends, 400, 100));
        start(backends.get(0), 4);
        start(backends.get(1), 2);
        // 4 in flight at weight 400 is less loaded than 2 at weight 100
        int[] counts = count(lb, backends);
        assertTrue(counts[0] > PICKS * 0.9, "heavier, less loaded backend got " + counts[0] + " of " + PICKS);
    }

    @Test
    void peakEwmaMovesTrafficAwayFromABackendWhoseLatencyRises() {
        List<Backend> backends = backends(3);
        LoadBalancer lb = peakEwma(backends);
        for (Backend b : backends) {
            b.recordLatencyNanos(10 * MS, clock.get());
        }
        int[] before = count(lb, backends);
        assertTrue(before[0] > PICKS / 5 && before[0] < PICKS / 2, "equal latencies, b0 got " + before[0]);

        clock.addAndGet(100 * MS);
        backends.get(0).recordLatencyNanos(200 * MS, clock.get());
        int[] after = count(lb, backends);
        // slow b0 only wins when both draws are b0: about 1/9
        assertTrue(after[0] < PICKS * 0.15, "slow backend still got " + after[0] + " of " + PICKS);

        // its peak decays as fast samples come in (decay 10 s); once it is the fastest it wins
        // every comparison it enters: 1 - (2/3)^2 = 5/9 of the picks
        for (int i = 0; i < 100; i++) {
            clock.addAndGet(1000 * MS);
            backends.get(0).recordLatencyNanos(10 * MS, clock.get());
            backends.get(1).recordLatencyNanos(12 * MS, clock.get());
            backends.get(2).recordLatencyNanos(12 * MS, clock.get());
        }
        int[] recovered = count(lb, backends);
        assertTrue(recovered[0] > PICKS * 0.45, "recovered backend got " + recovered[0] + " of " + PICKS);
    }

    @Test
    void peakEwmaWeighsLatencyByInFlight() {
        List<Backend> backends = backends(2);
        LoadBalancer lb = peakEwma(backends);
        backends.get(0).recordLatencyNanos(10 * MS, clock.get());
        backends.get(1).recordLatencyNanos(30 * MS, clock.get());
        start(backends.get(0), 5);
        // b0: 10 ms × 6 = 60 > b1: 30 ms × 1 = 30
        int[] counts = count(lb, backends);
        assertTrue(counts[1] > PICKS * 0.7, "b1 got " + counts[1] + " of " + PICKS);
    }

    private LoadBalancer peakEwma(List<Backend> backends) {
        return ConfiguredLoadBalancerFactory.of(config(Algorithm.PEAK_EWMA), clock::get).newLoadBalancer(null, members(backends));
    }

    /** {@code requests} requests in flight on {@code b}. */
    private static void start(Backend b, int requests) {
        for (int i = 0; i < requests; i++) {
            b.onStart();
        }
    }

    private static int[] count(LoadBalancer lb, List<Backend> backends) {
        PickContext ctx = plain();
        int[] counts = new int[backends.size()];
        for (int i = 0; i < PICKS; i++) {
            counts[indexOf(backends, lb.pick(ctx.reset(null, null)))]++;
        }
        return counts;
    }
}
