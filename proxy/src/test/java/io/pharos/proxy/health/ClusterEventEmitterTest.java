package io.pharos.proxy.health;

import io.pharos.health.HealthState;
import io.pharos.health.event.HealthEvent;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.lb.ConfiguredLoadBalancerFactory;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ClusterEventEmitterTest {

    static PharosConfig config(String backends) throws Exception {
        return config(backends, "");
    }

    /** A config with one http listener and cluster {@code app}; {@code extra} goes into the cluster. */
    static PharosConfig config(String backends, String extra) throws Exception {
        return ConfigLoader.parse("""
                pharos {
                  listeners = [ { name = web, listen = "127.0.0.1:0", protocol = http, cluster = app } ]
                  clusters.app {
                    balancer = round-robin
                    backends = [ %s ]
                    %s
                  }
                }
                """.formatted(backends, extra));
    }

    @Test
    void backendFlipsThenCountThenClusterDownAndRecovered() throws Exception {
        PharosConfig config = config("""
                { name = a, address = "127.0.0.1:1" }, { name = b, address = "127.0.0.1:2" }""");
        Cluster cluster = new Cluster(config.clusters().get("app"), System::nanoTime, ConfiguredLoadBalancerFactory::of);
        CapturingPublisher publisher = new CapturingPublisher();
        ClusterEventEmitter emitter = new ClusterEventEmitter("primary", publisher, () -> 42L);
        cluster.addListener(emitter);

        cluster.setCheckState("a", HealthState.UNHEALTHY, "active check failed: connect refused");
        cluster.eject("b", "ejected: 5 consecutive gateway failures", 30_000);
        // a write that changes nothing visible (b stays ejected) raises nothing and its reason is not kept
        cluster.setCheckState("b", HealthState.HEALTHY, "stale");
        cluster.setNotEjected("b", "ejection over");
        cluster.setDraining("a", true);

        assertEquals(List.of(
                "BACKEND_STATE app/a unknown->unhealthy (active check failed: connect refused) 1/2",
                "CLUSTER_HEALTHY_COUNT app 2->1 (healthy backends 2 -> 1) 1/2",
                "BACKEND_STATE app/b unknown->ejected (ejected: 5 consecutive gateway failures) 0/2",
                "CLUSTER_HEALTHY_COUNT app 1->0 (healthy backends 1 -> 0) 0/2",
                "CLUSTER_DOWN app up->down (no usable backend) 0/2",
                "BACKEND_STATE app/b ejected->healthy (ejection over) 1/2",
                "CLUSTER_HEALTHY_COUNT app 0->1 (healthy backends 0 -> 1) 1/2",
                "CLUSTER_RECOVERED app down->up (1 usable backends) 1/2",
                "BACKEND_STATE app/a unhealthy->draining (operator) 1/2"), publisher.lines());
        HealthEvent first = publisher.events.get(0);
        assertEquals(42L, first.timeMillis());
        assertEquals("primary", first.region());
    }
}
