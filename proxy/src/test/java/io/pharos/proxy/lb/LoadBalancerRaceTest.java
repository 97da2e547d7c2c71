package io.pharos.proxy.lb;

import io.netty.handler.codec.http.HttpHeaders;
import io.pharos.health.HealthState;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.cluster.ClusterSnapshot;
import io.pharos.proxy.cluster.PickContext;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.config.PharosConfig.Algorithm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pickers on several threads while one writer republishes the cluster thousands of times (health,
 * drain, weight changes): every pick comes from the snapshot the picker read and is selectable in it,
 * and a pick is never null while that snapshot has a usable backend.
 */
class LoadBalancerRaceTest {
    private static final int SWAPS = 3000;
    private static final int READERS = 3;
    private static final int BACKENDS = 6;
    /** The config's default. */
    private static final int PANIC_THRESHOLD = 50;

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void picksStayInTheLiveSnapshotWhileWritersSwapIt(Algorithm algorithm) throws Exception {
        Cluster cluster = new Cluster(config(algorithm).clusters().get("app"), System::nanoTime, ConfiguredLoadBalancerFactory::of);
        AtomicReference<String> failure = new AtomicReference<>();
        AtomicLong picks = new AtomicLong();
        CountDownLatch writerDone = new CountDownLatch(1);
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < READERS; r++) {
            HttpHeaders[] keys = new HttpHeaders[64];
            for (int k = 0; k < keys.length; k++) {
                keys[k] = TestMembers.keyHeaders("user-" + r + "-" + k);
            }
            Thread t = new Thread(() -> pickUntil(cluster, keys, writerDone, failure, picks), "picker-" + r);
            t.start();
            readers.add(t);
        }
        try {
            SplittableRandom random = new SplittableRandom(42);
            for (int i = 0; i < SWAPS && failure.get() == null; i++) {
                String backend = "b" + random.nextInt(BACKENDS);
                switch (random.nextInt(4)) {
                    case 0 -> cluster.setCheckState(backend, random.nextBoolean() ? HealthState.HEALTHY : HealthState.UNHEALTHY);
                    case 1 -> cluster.setEjected(backend, random.nextInt(3) == 0);
                    case 2 -> cluster.setDraining(backend, random.nextInt(3) == 0);
                    default -> cluster.setWeightOverride(backend, random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(300));
                }
            }
        } finally {
            writerDone.countDown();
            for (Thread t : readers) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
        }
        assertNull(failure.get());
        assertTrue(picks.get() >= READERS, "readers picked " + picks.get() + " times");
    }

    private static void pickUntil(Cluster cluster, HttpHeaders[] keys, CountDownLatch writerDone,
                                  AtomicReference<String> failure, AtomicLong picks) {
        PickContext ctx = new PickContext();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        long n = 0;
        // at least one pick after the last swap, then stop with the writer
        while (failure.get() == null && System.nanoTime() < deadline) {
            boolean last = writerDone.getCount() == 0;
            ClusterSnapshot s = cluster.snapshot();
            Backend picked = s.loadBalancer().pick(ctx.reset(keys[(int) (n & (keys.length - 1))], null));
            n++;
            String problem = check(s, picked);
            if (problem != null) {
                failure.compareAndSet(null, problem);
            }
            if (last) {
                break;
            }
        }
        picks.addAndGet(n);
    }

    private static String check(ClusterSnapshot s, Backend picked) {
        int panicUsable = 0;
        for (ClusterMember m : s.members()) {
            panicUsable += m.isPanicUsable() ? 1 : 0;
        }
        boolean panic = s.usableCount() * 100 < PANIC_THRESHOLD * panicUsable;
        if (picked == null) {
            int selectable = panic ? panicUsable : s.usableCount();
            return selectable > 0 ? "null pick with " + selectable + " selectable in snapshot " + s.version() : null;
        }
        ClusterMember m = s.member(picked.name());
        if (m == null || m.backend() != picked) {
            return picked + " is not in snapshot " + s.version();
        }
        if (panic ? !m.isPanicUsable() : !m.isUsable()) {
            return picked + " picked while " + m.state() + " weight " + m.weight() + " in snapshot " + s.version();
        }
        return null;
    }

    private static PharosConfig config(Algorithm algorithm) throws Exception {
        StringBuilder backends = new StringBuilder();
        for (int i = 0; i < BACKENDS; i++) {
            backends.append("{ name = b").append(i).append(", address = \"127.0.0.1:").append(9100 + i).append("\" }\n");
        }
        String balancer = algorithm.name().toLowerCase(Locale.ROOT).replace('_', '-');
        return ConfigLoader.parse("""
                pharos {
                  listeners = [ { name = web, listen = "127.0.0.1:18080", protocol = http, cluster = app } ]
                  clusters.app {
                    balancer = %s
                    hash-key = "header:X-User"
                    table-size = 4099
                    slow-start { window = 5s }
                    backends = [ %s ]
                  }
                }
                """.formatted(balancer, backends));
    }
}
