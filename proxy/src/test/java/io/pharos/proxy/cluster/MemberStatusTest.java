package io.pharos.proxy.cluster;

import io.pharos.health.HealthState;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.lb.ConfiguredLoadBalancerFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What a cluster keeps with each member for the operator: weight sources, state reason and time, ejection end. */
class MemberStatusTest {
    private final AtomicLong wall = new AtomicLong(1_000_000);
    private Cluster app;

    @BeforeEach
    void setUp() throws Exception {
        PharosConfig c = ConfigLoader.parse("pharos { listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = app } ]\n"
                + " clusters { app { backends = [ { name = a, address = \"127.0.0.1:1\", weight = 40 } ] } } }");
        app = new Cluster(c.clusters().get("app"), System::nanoTime, wall::get, ConfiguredLoadBalancerFactory::of);
    }

    private MemberStatus a() {
        return app.snapshot().member("a").status();
    }

    @Test
    void weightOverrideIsShownBesideTheConfigWeightAndClearingItRestoresTheConfigs() {
        assertEquals(new MemberStatus(40, OptionalInt.empty(), "config", 1_000_000, 0), a());
        app.setWeightOverride("a", 7);
        assertEquals(7, app.snapshot().member("a").weight());
        assertEquals(40, a().configWeight());
        assertEquals(OptionalInt.of(7), a().weightOverride());
        app.setDraining("a", true);
        app.setDraining("a", false);
        assertEquals(7, app.snapshot().member("a").weight(), "ready ends a drain only");
        app.clearWeightOverride("a");
        assertEquals(40, app.snapshot().member("a").weight());
        assertEquals(OptionalInt.empty(), a().weightOverride());
    }

    @Test
    void aStateChangeKeepsItsReasonAndTimeUntilTheNextChange() {
        wall.set(2_000_000);
        app.setCheckState("a", HealthState.UNHEALTHY, "active check failed: status 500");
        assertEquals("active check failed: status 500", a().reason());
        assertEquals(2_000_000, a().sinceMillis());

        wall.set(3_000_000);
        app.setCheckState("a", HealthState.UNHEALTHY, "active check failed: timeout");
        assertEquals("active check failed: status 500", a().reason(), "no state change: the reason of the change stays");
        assertEquals(2_000_000, a().sinceMillis());

        app.setDraining("a", true);
        assertEquals("operator", a().reason());
        assertEquals(3_000_000, a().sinceMillis());
    }

    @Test
    void anEjectionKnowsWhenItEndsAndForgetsItOnReturn() {
        app.eject("a", "ejected: 5 consecutive gateway failures (for 30000 ms)", 30_000);
        assertEquals(HealthState.EJECTED, app.snapshot().member("a").state());
        assertEquals(1_030_000, a().ejectedUntilMillis());
        assertEquals("ejected: 5 consecutive gateway failures (for 30000 ms)", a().reason());

        wall.set(1_040_000);
        app.setNotEjected("a", "ejection over");
        assertEquals(0, a().ejectedUntilMillis());
        assertEquals("ejection over", a().reason());
        assertEquals(1_040_000, a().sinceMillis());
    }
}
