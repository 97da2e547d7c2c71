package io.pharos.proxy.lb;

import io.pharos.health.HealthState;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.cluster.LoadBalancer;
import io.pharos.proxy.cluster.PickContext;
import io.pharos.proxy.config.PharosConfig.Algorithm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.pharos.proxy.lb.TestMembers.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What every algorithm must skip, and panic routing. */
class SelectionTest {
    private static final int PICKS = 2000;

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void skipsUnhealthyEjectedDrainingAndWeightZero(Algorithm algorithm) {
        List<Backend> b = backends(5);
        List<ClusterMember> members = inStates(b, HealthState.UNHEALTHY, HealthState.EJECTED, HealthState.DRAINING,
                HealthState.HEALTHY, HealthState.UNKNOWN);
        members.set(3, member(b.get(3), 0, HealthState.HEALTHY));
        LoadBalancer lb = build(config(algorithm, 0, Duration.ZERO), members);
        assertEquals(Set.of(b.get(4)), picks(lb));
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void skipsTriedBackendsAndAnswersNullWhenAllWereTried(Algorithm algorithm) {
        List<Backend> b = backends(3);
        LoadBalancer lb = build(config(algorithm), members(b));
        for (int i = 0; i < PICKS; i++) {
            PickContext ctx = plain().reset(keyHeaders("user-" + i), null);
            Backend first = lb.pick(ctx);
            ctx.addTried(first);
            Backend second = lb.pick(ctx);
            ctx.addTried(second);
            Backend third = lb.pick(ctx);
            ctx.addTried(third);
            assertEquals(3, new HashSet<>(List.of(first, second, third)).size(), "three tries, three backends");
            assertNull(lb.pick(ctx), "everything tried");
        }
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void panicSpreadsOverAllButDrainedWhenTooFewAreHealthy(Algorithm algorithm) {
        List<Backend> b = backends(5);
        List<ClusterMember> members = inStates(b, HealthState.HEALTHY, HealthState.UNHEALTHY, HealthState.EJECTED,
                HealthState.UNHEALTHY, HealthState.DRAINING);
        // 1 usable of 4 non-drained = 25 % < 50 %: panic
        assertEquals(Set.of(b.get(0), b.get(1), b.get(2), b.get(3)), picks(build(config(algorithm, 50, Duration.ZERO), members)));
        // 25 % >= 20 %: no panic
        assertEquals(Set.of(b.get(0)), picks(build(config(algorithm, 20, Duration.ZERO), members)));
        // disabled
        assertEquals(Set.of(b.get(0)), picks(build(config(algorithm, 0, Duration.ZERO), members)));
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void noUsableBackendGivesNullUnlessPanicking(Algorithm algorithm) {
        List<Backend> b = backends(2);
        List<ClusterMember> members = inStates(b, HealthState.UNHEALTHY, HealthState.DRAINING);
        assertNull(build(config(algorithm, 0, Duration.ZERO), members).pick(plain()));
        assertEquals(Set.of(b.get(0)), picks(build(config(algorithm, 50, Duration.ZERO), members)));
        assertNull(build(config(algorithm), List.of()).pick(plain()));
    }

    /** Member {@code i} is backend {@code i} at weight 100 in {@code states[i]}; a mutable list. */
    private static List<ClusterMember> inStates(List<Backend> b, HealthState... states) {
        List<ClusterMember> members = new ArrayList<>();
        for (int i = 0; i < states.length; i++) {
            members.add(member(b.get(i), 100, states[i]));
        }
        return members;
    }

    private static Set<Backend> picks(LoadBalancer lb) {
        Set<Backend> seen = new HashSet<>();
        PickContext ctx = plain();
        for (int i = 0; i < PICKS; i++) {
            Backend picked = lb.pick(ctx.reset(keyHeaders("user-" + i), null));
            assertNotNull(picked);
            seen.add(picked);
        }
        assertTrue(!seen.isEmpty());
        return seen;
    }
}
