package io.pharos.proxy.lb;

import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.LoadBalancer;
import io.pharos.proxy.cluster.PickContext;
import io.pharos.proxy.config.PharosConfig.Algorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static io.pharos.proxy.lb.TestMembers.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 100 000 picks over weights 1:2:3:4 land within one percentage point of each expected share, for every
 * algorithm, {@code round-robin} included (it is smooth weighted round robin).
 */
class DistributionTest {
    private static final int PICKS = 100_000;
    private static final int[] WEIGHTS = {1, 2, 3, 4};
    private static final double TOLERANCE = 0.01;

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"ROUND_ROBIN", "WEIGHTED_ROUND_ROBIN", "RANDOM", "LEAST_REQUEST", "PEAK_EWMA"})
    void drawingAlgorithmsFollowWeights(Algorithm algorithm) {
        List<Backend> backends = backends(4);
        LoadBalancer lb = build(config(algorithm), members(backends, WEIGHTS));
        PickContext ctx = plain();
        int[] counts = new int[4];
        for (int i = 0; i < PICKS; i++) {
            counts[indexOf(backends, lb.pick(ctx.reset(null, null)))]++;
        }
        assertShares(algorithm, counts);
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"RING_HASH", "MAGLEV"})
    void hashingAlgorithmsFollowWeights(Algorithm algorithm) {
        List<Backend> backends = backends(4);
        // ring-size 16384: the lightest backend owns 4096 points, enough for a 1-point spread of arcs
        LoadBalancer lb = build(hashConfig(algorithm, "header:" + KEY_HEADER, 16384, 65537), members(backends, WEIGHTS));
        PickContext ctx = plain();
        int[] counts = new int[4];
        for (int i = 0; i < PICKS; i++) {
            counts[indexOf(backends, lb.pick(ctx.reset(keyHeaders("user-" + i), null)))]++;
        }
        assertShares(algorithm, counts);
    }

    @Test
    void roundRobinWithEqualWeightsIsThePlainRotation() {
        List<Backend> backends = backends(4);
        LoadBalancer lb = build(config(Algorithm.ROUND_ROBIN), members(backends, 100, 100, 100, 100));
        PickContext ctx = plain();
        int first = indexOf(backends, lb.pick(ctx.reset(null, null)));
        for (int i = 1; i < 1000; i++) {
            assertEquals((first + i) % 4, indexOf(backends, lb.pick(ctx.reset(null, null))));
        }
    }

    @Test
    void roundRobinHonoursAWeightChangeSmoothly() {
        List<Backend> backends = backends(3);
        LoadBalancer equal = build(config(Algorithm.ROUND_ROBIN), members(backends, 1, 1, 1));
        // an operator's PUT weight publishes a new snapshot: the balancer is rebuilt from the old one
        LoadBalancer weighted = ConfiguredLoadBalancerFactory.of(config(Algorithm.ROUND_ROBIN))
                .newLoadBalancer(equal, members(backends, 5, 1, 1));
        PickContext ctx = plain();
        int[] counts = new int[3];
        int run = 0;
        int longestRun = 0;
        int previous = -1;
        for (int i = 0; i < 7000; i++) {
            int k = indexOf(backends, weighted.pick(ctx.reset(null, null)));
            counts[k]++;
            run = k == previous ? run + 1 : 1;
            longestRun = Math.max(longestRun, run);
            previous = k;
        }
        assertArrayEquals(new int[] {5000, 1000, 1000}, counts, "round-robin honours 5:1:1 exactly");
        assertTrue(longestRun < 5, "interleaved, never five in a row: longest run " + longestRun);
    }

    private static void assertShares(Algorithm algorithm, int[] counts) {
        int total = 0;
        for (int w : WEIGHTS) {
            total += w;
        }
        for (int i = 0; i < counts.length; i++) {
            double share = (double) counts[i] / PICKS;
            double expected = (double) WEIGHTS[i] / total;
            assertTrue(Math.abs(share - expected) <= TOLERANCE,
                    algorithm + " backend " + i + ": share " + share + " (expected: " + expected + " ± " + TOLERANCE + ")");
        }
    }
}
