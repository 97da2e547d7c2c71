package io.pharos.proxy.metrics;

import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.lb.ConfiguredLoadBalancerFactory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EjectionCounterTest {

    @Test
    void countsEachEntryIntoTheEjectedState() throws Exception {
        PharosConfig c = ConfigLoader.parse("pharos { listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = app } ]\n"
                + " clusters { app { backends = [ { name = a, address = \"127.0.0.1:1\" }, { name = b, address = \"127.0.0.1:2\" } ] } } }");
        Cluster app = new Cluster(c.clusters().get("app"), System::nanoTime, ConfiguredLoadBalancerFactory::of);
        app.addListener(EjectionCounter.INSTANCE);
        Backend a = app.snapshot().member("a").backend();
        Backend b = app.snapshot().member("b").backend();
        app.setEjected("a", true);
        app.setWeightOverride("a", 5);
        app.setEjected("a", true);
        assertEquals(1, a.stats().ejections(), "staying ejected across publications counts once");
        app.setEjected("a", false);
        app.setEjected("a", true);
        assertEquals(2, a.stats().ejections());
        app.setDraining("b", true);
        assertEquals(0, b.stats().ejections(), "a drain is not an ejection");
    }
}
