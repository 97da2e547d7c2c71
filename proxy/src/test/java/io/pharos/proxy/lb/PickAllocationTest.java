package io.pharos.proxy.lb;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.pharos.health.HealthState;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.cluster.LoadBalancer;
import io.pharos.proxy.cluster.LoadBalancerFactory;
import io.pharos.proxy.cluster.PickContext;
import io.pharos.proxy.config.PharosConfig.Algorithm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static io.pharos.proxy.lb.TestMembers.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LoadBalancer#pick} allocates nothing, whatever the algorithm, hash key source, slow-start
 * ramp or retry: measured with the thread's allocation counter over 120 000 picks.
 */
class PickAllocationTest {
    private static final int PICKS = 20_000;

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void pickAllocatesNothing(Algorithm algorithm) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        AtomicLong clock = new AtomicLong(1_000_000_000_000L);
        List<Backend> backends = backends(16);
        List<ClusterMember> members = new ArrayList<>();
        for (int i = 0; i < backends.size(); i++) {
            backends.get(i).recordLatencyNanos(1_000_000 + i, clock.get());
            // half of them ramping (slow start 10 s, started 1 s ago)
            members.add(new ClusterMember(backends.get(i), 100 + i, HealthState.HEALTHY,
                    clock.get() - (i % 2 == 0 ? 3_600_000_000_000L : 1_000_000_000L)));
        }
        List<LoadBalancer> balancers = new ArrayList<>();
        for (String key : new String[] {"header:X-User", "cookie:session", "source-ip"}) {
            balancers.add(ConfiguredLoadBalancerFactory.of(config(algorithm, key, 50, Duration.ofSeconds(10)), clock::get)
                    .newLoadBalancer(null, members));
        }
        HttpHeaders[] headers = new HttpHeaders[64];
        for (int i = 0; i < headers.length; i++) {
            headers[i] = new DefaultHttpHeaders().set(KEY_HEADER, "user-" + i).set("cookie", "a=b; session=s" + i);
        }
        InetSocketAddress client = new InetSocketAddress("10.1.2.3", 40000);
        PickContext ctx = new PickContext();
        LoadBalancer[] lbs = balancers.toArray(new LoadBalancer[0]);
        run(lbs, headers, client, ctx, 2000);
        long before = threads.getCurrentThreadAllocatedBytes();
        run(lbs, headers, client, ctx, PICKS);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        // the smallest object is 16 bytes: under half a byte per pick means no pick path allocates,
        // while a few KB of one-off runtime noise (JIT deoptimization, class init) still pass
        long picks = 2L * balancers.size() * PICKS;
        assertTrue(allocated < picks / 2, algorithm + ": " + allocated + " bytes allocated by " + picks + " picks");
    }

    /** Indexed loops only: an iterator here would be the allocation measured. */
    private static void run(LoadBalancer[] balancers, HttpHeaders[] headers, InetSocketAddress client,
                            PickContext ctx, int picks) {
        for (int i = 0; i < picks; i++) {
            for (int k = 0; k < balancers.length; k++) {
                LoadBalancer lb = balancers[k];
                ctx.reset(headers[i & (headers.length - 1)], client);
                Backend first = lb.pick(ctx);
                ctx.addTried(first);
                lb.pick(ctx);
            }
        }
    }
}
