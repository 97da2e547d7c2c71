package io.pharos.proxy.health;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.pharos.health.HealthState;
import io.pharos.health.event.HealthEvent;
import io.pharos.health.event.HealthEventPublisher;
import io.pharos.health.testing.Await;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.lb.ConfiguredLoadBalancerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The health glue against real backends, without the request path: checks, ejections, events. */
class ProxyHealthIT {
    private EventLoopGroup loops;
    private EventLoopGroup backendLoops;
    private ScheduledExecutorService control;
    private HealthEventPublisher publisher;
    private ProxyHealth health;
    private final List<HealthEvent> events = new CopyOnWriteArrayList<>();
    private RestartableBackend a;
    private RestartableBackend b;
    private RestartableBackend c;
    private Cluster cluster;

    @BeforeEach
    void setUp() throws Exception {
        loops = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        backendLoops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        control = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "test-control"));
        publisher = HealthEventPublisher.start(1024, "test-health-events");
        publisher.addListener(events::add);
        a = new RestartableBackend("a", backendLoops);
        b = new RestartableBackend("b", backendLoops);
        c = new RestartableBackend("c", backendLoops);
        PharosConfig config = ClusterEventEmitterTest.config("""
                { name = a, address = "%s" }, { name = b, address = "%s" }, { name = c, address = "%s" }"""
                .formatted(a.address(), b.address(), c.address()), """
                health {
                  active { type = http, path = "/healthz", interval = 200ms, fast-interval = 100ms, timeout = 500ms, rise = 2, fall = 2 }
                  passive { consecutive-failures = 3, base-ejection-time = 1s, max-ejection-percent = 50 }
                }""");
        cluster = new Cluster(config.clusters().get("app"), System::nanoTime, ConfiguredLoadBalancerFactory::of);
        health = ProxyHealth.create("primary", loops, NioSocketChannel::new, control, publisher);
        control.submit(() -> health.attach(cluster)).get();
    }

    @AfterEach
    void tearDown() throws Exception {
        control.submit(() -> health.close()).get();
        control.shutdownNow();
        publisher.close();
        for (RestartableBackend t : new RestartableBackend[] {a, b, c}) {
            t.close();
        }
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        backendLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private List<String> lines(String backendOrCluster) {
        return events.stream()
                .filter(e -> e.backend().equals(backendOrCluster) || (backendOrCluster.isEmpty() && e.backend().isEmpty()))
                .map(CapturingPublisher::line).toList();
    }

    private HealthState state(String backend) {
        return cluster.snapshot().member(backend).state();
    }

    private void allHealthy() throws InterruptedException {
        Await.until(Duration.ofSeconds(20), "all healthy", () -> state("a") == HealthState.HEALTHY && state("b") == HealthState.HEALTHY
                && state("c") == HealthState.HEALTHY);
    }

    @Test
    void activeChecksTakeAStoppedBackendOutAndBringItBack() throws Exception {
        allHealthy();
        Await.until(Duration.ofSeconds(20), "b's first event", () -> lines("b").size() == 1);
        assertEquals(List.of("BACKEND_STATE app/b unknown->healthy (active checks passed) 3/3"), lines("b"));
        long stopped = System.nanoTime();
        b.stop();
        Await.until(Duration.ofSeconds(20), "b unhealthy", () -> state("b") == HealthState.UNHEALTHY);
        long took = System.nanoTime() - stopped;
        // interval x fall + jitter is 0.46 s; the bound is generous for a loaded machine
        assertTrue(took < TimeUnit.SECONDS.toNanos(10), "took " + took / 1_000_000 + " ms");
        b.start();
        Await.until(Duration.ofSeconds(20), "b healthy again", () -> state("b") == HealthState.HEALTHY);
        Await.until(Duration.ofSeconds(20), "2 cluster and 3 backend events", () -> lines("").size() == 2 && lines("b").size() == 3);
        assertEquals(List.of(
                "BACKEND_STATE app/b unknown->healthy (active checks passed) 3/3",
                "BACKEND_STATE app/b healthy->unhealthy (active check failed: connect refused) 2/3",
                "BACKEND_STATE app/b unhealthy->healthy (active checks passed) 3/3"), lines("b"));
        assertEquals(List.of(
                "CLUSTER_HEALTHY_COUNT app 3->2 (healthy backends 3 -> 2) 2/3",
                "CLUSTER_HEALTHY_COUNT app 2->3 (healthy backends 2 -> 3) 3/3"), lines(""));
        assertEquals("primary", events.get(0).region());
    }

    @Test
    void passiveFailuresEjectAndTheBackendReturnsAfterEjectionTimeAndRiseChecks() throws Exception {
        allHealthy();
        Backend backendA = cluster.snapshot().member("a").backend();
        Backend backendB = cluster.snapshot().member("b").backend();
        loops.next().submit(() -> {
            for (int i = 0; i < 3; i++) {
                health.onLocalFailure(backendA);
                health.onLocalFailure(backendB);
            }
        }).get();
        Await.until(Duration.ofSeconds(20), "a ejected", () -> state("a") == HealthState.EJECTED);
        // max-ejection-percent 50 of 3 backends: only one may be out
        assertEquals(HealthState.HEALTHY, state("b"));
        long ejected = System.nanoTime();
        Await.until(Duration.ofSeconds(20), "a back", () -> state("a") == HealthState.HEALTHY);
        assertTrue(System.nanoTime() - ejected >= TimeUnit.MILLISECONDS.toNanos(900), "ejection lasted its base time");
        Await.until(Duration.ofSeconds(20), "a's 3 events", () -> lines("a").size() == 3);
        assertEquals(List.of(
                "BACKEND_STATE app/a unknown->healthy (active checks passed) 3/3",
                "BACKEND_STATE app/a healthy->ejected (ejected: 3 consecutive gateway failures (for 1000 ms)) 2/3",
                "BACKEND_STATE app/a ejected->healthy (ejection over, 2 active checks passed) 3/3"), lines("a"));
    }

    @Test
    void aReloadStopsChecksOfRemovedBackendsAndStartsChecksOfNewOnes() throws Exception {
        allHealthy();
        RestartableBackend d = new RestartableBackend("d", backendLoops);
        try {
            PharosConfig reloaded = ClusterEventEmitterTest.config("""
                    { name = a, address = "%s" }, { name = d, address = "%s" }"""
                    .formatted(a.address(), d.address()), """
                    health {
                      active { type = http, path = "/healthz", interval = 200ms, fast-interval = 100ms, timeout = 500ms, rise = 2, fall = 2 }
                    }""");
            control.submit(() -> cluster.applyConfig(reloaded.clusters().get("app"))).get();
            Await.until(Duration.ofSeconds(20), "d checked and healthy", () -> state("d") == HealthState.HEALTHY);
            assertEquals(HealthState.HEALTHY, state("a"), "a kept its verdict across the reload");
            int bChecks = b.checks.get();
            int cChecks = c.checks.get();
            int dChecks = d.checks.get();
            Await.until(Duration.ofSeconds(20), "d checked on", () -> d.checks.get() >= dChecks + 3);
            // in-flight checks of the removed backends may still land; then none
            Thread.sleep(300);
            int bAfter = b.checks.get();
            int cAfter = c.checks.get();
            assertTrue(bAfter <= bChecks + 1 && cAfter <= cChecks + 1, "b " + bChecks + "->" + bAfter + ", c " + cChecks + "->" + cAfter);
            Await.until(Duration.ofSeconds(20), "d checked on", () -> d.checks.get() >= dChecks + 6);
            assertEquals(bAfter, b.checks.get(), "b no longer checked");
            assertEquals(cAfter, c.checks.get(), "c no longer checked");
            // no passive section any more: nothing records for the remaining backends
            assertNull(health.outlierStats(cluster.snapshot().member("a").backend()));
        } finally {
            d.close();
        }
    }

    @Test
    void changedActiveChecksStartOverFromTheInitialState() throws Exception {
        allHealthy();
        b.stop();
        Await.until(Duration.ofSeconds(20), "b unhealthy", () -> state("b") == HealthState.UNHEALTHY);
        PharosConfig changed = ClusterEventEmitterTest.config("""
                { name = a, address = "%s" }, { name = b, address = "%s" }, { name = c, address = "%s" }"""
                .formatted(a.address(), b.address(), c.address()), """
                health {
                  active { type = tcp, interval = 150ms, fast-interval = 100ms, timeout = 500ms, rise = 2, fall = 2 }
                }""");
        control.submit(() -> cluster.applyConfig(changed.clusters().get("app"))).get();
        Await.until(Duration.ofSeconds(20), "b down again, a healthy again", () -> lines("b").size() == 4 && lines("a").size() == 3);
        assertEquals(List.of(
                "BACKEND_STATE app/b unknown->healthy (active checks passed) 3/3",
                "BACKEND_STATE app/b healthy->unhealthy (active check failed: connect refused) 2/3",
                "BACKEND_STATE app/b unhealthy->unknown (active checks changed) 3/3",
                "BACKEND_STATE app/b unknown->unhealthy (active check failed: connect refused) 2/3"), lines("b"));
        // a's usable counts depend on when b went down again: compared without them
        assertEquals(List.of(
                "BACKEND_STATE app/a unknown->healthy (active checks passed)",
                "BACKEND_STATE app/a healthy->unknown (active checks changed)",
                "BACKEND_STATE app/a unknown->healthy (active checks passed)"),
                lines("a").stream().map(l -> l.replaceAll(" [0-3]/3$", "")).toList());
    }

    @Test
    void removingTheChecksOnReloadReleasesTheirVerdicts() throws Exception {
        allHealthy();
        String members = """
                { name = a, address = "%s" }, { name = b, address = "%s" }, { name = c, address = "%s" }"""
                .formatted(a.address(), b.address(), c.address());
        // first a reload to a long ejection time, so that the ejection below lasts until the next reload
        PharosConfig longEjection = ClusterEventEmitterTest.config(members, """
                health {
                  active { type = http, path = "/healthz", interval = 200ms, fast-interval = 100ms, timeout = 500ms, rise = 2, fall = 2 }
                  passive { consecutive-failures = 3, base-ejection-time = 600s, max-ejection-time = 600s, max-ejection-percent = 50 }
                }""");
        control.submit(() -> cluster.applyConfig(longEjection.clusters().get("app"))).get();
        b.stop();
        Await.until(Duration.ofSeconds(20), "b unhealthy", () -> state("b") == HealthState.UNHEALTHY);
        Backend backendA = cluster.snapshot().member("a").backend();
        loops.next().submit(() -> {
            for (int i = 0; i < 3; i++) {
                health.onLocalFailure(backendA);
            }
        }).get();
        Await.until(Duration.ofSeconds(20), "a ejected", () -> state("a") == HealthState.EJECTED);
        PharosConfig noChecks = ClusterEventEmitterTest.config(members);
        control.submit(() -> cluster.applyConfig(noChecks.clusters().get("app"))).get();
        Await.until(Duration.ofSeconds(20), "all usable again", () -> cluster.snapshot().usableCount() == 3);
        assertEquals(HealthState.UNKNOWN, state("a"));
        assertEquals(HealthState.UNKNOWN, state("b"));
        Await.until(Duration.ofSeconds(20), "events", () -> lines("a").size() == 4 && lines("b").size() == 3);
        assertEquals(List.of(
                "BACKEND_STATE app/a unknown->healthy (active checks passed) 3/3",
                "BACKEND_STATE app/a healthy->ejected (ejected: 3 consecutive gateway failures (for 600000 ms)) 1/3",
                "BACKEND_STATE app/a ejected->healthy (passive checks removed) 2/3",
                "BACKEND_STATE app/a healthy->unknown (active checks removed) 2/3"), lines("a"));
        assertEquals(List.of(
                "BACKEND_STATE app/b unknown->healthy (active checks passed) 3/3",
                "BACKEND_STATE app/b healthy->unhealthy (active check failed: connect refused) 2/3",
                "BACKEND_STATE app/b unhealthy->unknown (active checks removed) 3/3"), lines("b"));
    }

    @Test
    void allBackendsDownIsAClusterEventAndSoIsTheRecovery() throws Exception {
        allHealthy();
        a.stop();
        b.stop();
        c.stop();
        Await.until(Duration.ofSeconds(20), "cluster down", () -> cluster.snapshot().usableCount() == 0);
        Await.until(Duration.ofSeconds(20), "down event", () -> lines("").stream().anyMatch(l -> l.startsWith("CLUSTER_DOWN")));
        a.start();
        Await.until(Duration.ofSeconds(20), "recovered event", () -> lines("").stream().anyMatch(l -> l.startsWith("CLUSTER_RECOVERED")));
        Await.until(Duration.ofSeconds(20), "6 cluster events", () -> lines("").size() >= 6);
        List<String> cl = lines("");
        assertEquals(List.of(
                "CLUSTER_HEALTHY_COUNT app 3->2 (healthy backends 3 -> 2) 2/3",
                "CLUSTER_HEALTHY_COUNT app 2->1 (healthy backends 2 -> 1) 1/3",
                "CLUSTER_HEALTHY_COUNT app 1->0 (healthy backends 1 -> 0) 0/3",
                "CLUSTER_DOWN app up->down (no usable backend) 0/3",
                "CLUSTER_HEALTHY_COUNT app 0->1 (healthy backends 0 -> 1) 1/3",
                "CLUSTER_RECOVERED app down->up (1 usable backends) 1/3"), cl.subList(0, 6));
        // the backend flip that took the last one out comes right before the count and the down event
        List<String> all = events.stream().map(CapturingPublisher::line).toList();
        int down = all.indexOf("CLUSTER_DOWN app up->down (no usable backend) 0/3");
        assertTrue(all.get(down - 2).matches("BACKEND_STATE app/. healthy->unhealthy \\(active check failed: connect refused\\) 0/3"),
                all.toString());
    }
}
