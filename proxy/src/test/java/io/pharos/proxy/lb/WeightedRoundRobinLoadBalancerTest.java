package io.pharos.proxy.lb;

import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.LoadBalancer;
import io.pharos.proxy.cluster.LoadBalancerFactory;
import io.pharos.proxy.cluster.PickContext;
import io.pharos.proxy.config.PharosConfig.Algorithm;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.pharos.proxy.lb.TestMembers.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeightedRoundRobinLoadBalancerTest {

    @Test
    void fiveOneOneIsSmoothNeverFiveInARow() {
        List<Backend> backends = backends(3);
        LoadBalancer lb = build(config(Algorithm.WEIGHTED_ROUND_ROBIN), members(backends, 5, 1, 1));
        PickContext ctx = plain();
        int run = 0;
        int longest = 0;
        int previous = -1;
        int[] counts = new int[3];
        for (int i = 0; i < 7 * 100; i++) {
            int picked = indexOf(backends, lb.pick(ctx.reset(null, null)));
            counts[picked]++;
            run = picked == previous ? run + 1 : 1;
            longest = Math.max(longest, run);
            previous = picked;
        }
        assertArrayEquals(new int[] {500, 100, 100}, counts);
        assertTrue(longest < 5, "longest run of one backend: " + longest + " (expected: < 5)");
    }

    @Test
    void scheduleIsNginxSmoothOrder() {
        assertArrayEquals(new int[] {0, 0, 1, 0, 2, 0, 0}, WeightedRoundRobinLoadBalancer.schedule(new int[] {5, 1, 1}));
        assertArrayEquals(new int[] {0, 1}, WeightedRoundRobinLoadBalancer.schedule(new int[] {100, 100}), "reduced by the gcd");
    }

    @Test
    void hugeWeightSumsAreScaledToABoundedSchedule() {
        int[] weights = new int[300];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = 65535 - i;
        }
        int[] schedule = WeightedRoundRobinLoadBalancer.schedule(weights);
        assertTrue(schedule.length <= WeightedRoundRobinLoadBalancer.MAX_SCHEDULE, "length " + schedule.length);
        int[] counts = new int[weights.length];
        for (int s : schedule) {
            counts[s]++;
        }
        for (int c : counts) {
            assertTrue(c >= 1, "every backend keeps a slot");
        }
    }

    @Test
    void rebuildKeepsCursorSoRotationContinues() {
        List<Backend> backends = backends(2);
        LoadBalancerFactory factory = ConfiguredLoadBalancerFactory.of(config(Algorithm.WEIGHTED_ROUND_ROBIN));
        LoadBalancer first = factory.newLoadBalancer(null, members(backends, 1, 1));
        PickContext ctx = plain();
        int a = indexOf(backends, first.pick(ctx.reset(null, null)));
        LoadBalancer second = factory.newLoadBalancer(first, members(backends, 1, 1));
        assertEquals(1 - a, indexOf(backends, second.pick(ctx.reset(null, null))));
    }
}
