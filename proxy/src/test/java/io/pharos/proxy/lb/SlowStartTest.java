package io.pharos.proxy.lb;

import io.pharos.health.HealthState;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.cluster.LoadBalancer;
import io.pharos.proxy.cluster.LoadBalancerFactory;
import io.pharos.proxy.cluster.PickContext;
import io.pharos.proxy.config.PharosConfig.Algorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.pharos.proxy.lb.TestMembers.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A backend that just became ready ramps from 10 % to full weight over the 10 s window, on a virtual
 * clock, with the balancer built once (snapshots are not rebuilt as time passes).
 */
class SlowStartTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final long T0 = 1000 * SECOND;
    private static final int PICKS = 40_000;

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"ROUND_ROBIN", "WEIGHTED_ROUND_ROBIN", "RANDOM", "LEAST_REQUEST", "PEAK_EWMA"})
    void newBackendRampsFromFloorToFullWeight(Algorithm algorithm) {
        AtomicLong clock = new AtomicLong(T0);
        List<Backend> b = backends(2);
        List<ClusterMember> members = List.of(
                new ClusterMember(b.get(0), 100, HealthState.HEALTHY, T0 - 3600 * SECOND),
                new ClusterMember(b.get(1), 100, HealthState.HEALTHY, T0));
        LoadBalancer lb = ConfiguredLoadBalancerFactory.of(config(algorithm, 50, Duration.ofSeconds(10)), clock::get)
                .newLoadBalancer(null, members);

        // factor 0.1 at 0 s, 0.55 at 5 s, 1 from 10 s: share f / (1 + f)
        assertShare(algorithm, lb, b.get(1), 0.1 / 1.1);
        clock.set(T0 + 5 * SECOND);
        assertShare(algorithm, lb, b.get(1), 0.55 / 1.55);
        clock.set(T0 + 11 * SECOND);
        assertShare(algorithm, lb, b.get(1), 0.5);
    }

    @Test
    void backendsThatAllStartTogetherShareEvenly() {
        AtomicLong clock = new AtomicLong(T0);
        List<Backend> b = backends(2);
        List<ClusterMember> members = List.of(
                new ClusterMember(b.get(0), 100, HealthState.HEALTHY, T0),
                new ClusterMember(b.get(1), 100, HealthState.HEALTHY, T0));
        LoadBalancer lb = ConfiguredLoadBalancerFactory.of(config(Algorithm.RANDOM, 50, Duration.ofSeconds(10)), clock::get)
                .newLoadBalancer(null, members);
        assertShare(Algorithm.RANDOM, lb, b.get(1), 0.5);
    }

    @Test
    void hashingIgnoresSlowStartToKeepKeysInPlace() {
        AtomicLong clock = new AtomicLong(T0);
        List<Backend> b = backends(2);
        List<ClusterMember> members = List.of(
                new ClusterMember(b.get(0), 100, HealthState.HEALTHY, T0 - 3600 * SECOND),
                new ClusterMember(b.get(1), 100, HealthState.HEALTHY, T0));
        LoadBalancer ramping = ConfiguredLoadBalancerFactory.of(config(Algorithm.MAGLEV, 50, Duration.ofSeconds(10)), clock::get)
                .newLoadBalancer(null, members);
        LoadBalancer steady = build(config(Algorithm.MAGLEV), members);
        PickContext ctx = plain();
        for (int i = 0; i < 1000; i++) {
            assertEquals(steady.pick(ctx.reset(keyHeaders("k" + i), null)), ramping.pick(ctx.reset(keyHeaders("k" + i), null)));
        }
    }

    private static void assertShare(Algorithm algorithm, LoadBalancer lb, Backend ramping, double expected) {
        PickContext ctx = plain();
        int hits = 0;
        for (int i = 0; i < PICKS; i++) {
            if (lb.pick(ctx.reset(null, null)) == ramping) {
                hits++;
            }
        }
        double share = (double) hits / PICKS;
        assertTrue(Math.abs(share - expected) < 0.02,
                algorithm + ": ramping backend share " + share + " (expected: " + expected + " ± 0.02)");
    }
}
