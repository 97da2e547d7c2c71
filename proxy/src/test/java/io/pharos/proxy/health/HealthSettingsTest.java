package io.pharos.proxy.health;

import io.pharos.health.active.CheckPolicy;
import io.pharos.health.active.HttpCheckSpec;
import io.pharos.health.active.StatusRange;
import io.pharos.health.passive.OutlierPolicy;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class HealthSettingsTest {

    private static ClusterConfig cluster(String health) throws Exception {
        return ClusterEventEmitterTest.config("{ name = a, address = \"127.0.0.1:8080\" }", health).clusters().get("app");
    }

    @Test
    void activeConfigMapsOntoPolicyAndHttpSpec() throws Exception {
        ClusterConfig c = cluster("""
                health.active { type = http, method = HEAD, path = "/ready", host = "app.local", expect-status = ["200", "300-302"],
                  expect-body = "ok", interval = 5s, fast-interval = 1s, timeout = 2s, rise = 4, fall = 6, port = 9000,
                  jitter = 0.2, initial-state = pessimistic }""");
        var active = c.health().active().orElseThrow();
        assertEquals(new CheckPolicy(Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(2), 4, 6, 0.2,
                CheckPolicy.Start.PESSIMISTIC), HealthSettings.checkPolicy(active));
        assertEquals(new HttpCheckSpec("HEAD", "/ready", Optional.of("app.local"),
                List.of(new StatusRange(200, 200), new StatusRange(300, 302)), Optional.of("ok")), HealthSettings.httpSpec(active));
        InetSocketAddress backend = new InetSocketAddress("127.0.0.1", 8080);
        assertEquals(new InetSocketAddress("127.0.0.1", 9000), HealthSettings.checkAddress(active, backend));
    }

    @Test
    void defaultsFollowHaproxyAndTheBackendPort() throws Exception {
        var active = cluster("health.active { }").health().active().orElseThrow();
        assertEquals(new CheckPolicy(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3, 0.15,
                CheckPolicy.Start.OPTIMISTIC), HealthSettings.checkPolicy(active));
        InetSocketAddress backend = new InetSocketAddress("127.0.0.1", 8080);
        assertSame(backend, HealthSettings.checkAddress(active, backend));
    }

    @Test
    void passivePolicyCarriesTheActiveRiseOnlyWhenActiveChecksRun() throws Exception {
        ClusterConfig both = cluster("health { active { rise = 3 }, passive { consecutive-failures = 7, consecutive-5xx = 4,"
                + " base-ejection-time = 10s, max-ejection-time = 60s, max-ejection-percent = 30 } }");
        assertEquals(Optional.of(new OutlierPolicy(7, 4, Duration.ofSeconds(10), Duration.ofSeconds(60), 30, 3)),
                HealthSettings.outlierPolicy(both.health()));
        ClusterConfig passiveOnly = cluster("health.passive { }");
        assertEquals(Optional.of(OutlierPolicy.defaults()), HealthSettings.outlierPolicy(passiveOnly.health()));
        assertEquals(Optional.empty(), HealthSettings.outlierPolicy(cluster("").health()));
    }
}
