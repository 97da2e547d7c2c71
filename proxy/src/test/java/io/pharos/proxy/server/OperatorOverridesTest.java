package io.pharos.proxy.server;

import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.lb.ConfiguredLoadBalancerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The state file: round trip, atomic replacement, pruning of backends that are gone, strict reading. */
class OperatorOverridesTest {
    private final Path dir;

    OperatorOverridesTest() throws IOException {
        dir = Files.createTempDirectory("pharos-state");
    }

    @AfterEach
    void tearDown() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    @Test
    void savesAtomicallyAndLoadsBack() throws Exception {
        Path file = dir.resolve("state");
        OperatorOverrides o = new OperatorOverrides(Optional.of(file));
        o.put("app", "a", new OperatorOverrides.Override(true, OptionalInt.empty()));
        o.put("app", "b", new OperatorOverrides.Override(false, OptionalInt.of(0)));
        o.save();
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
        OperatorOverrides back = new OperatorOverrides(Optional.of(file));
        back.load();
        assertTrue(back.get("app", "a").draining());
        assertEquals(OptionalInt.of(0), back.get("app", "b").weight());
        assertTrue(back.get("app", "zzz").isEmpty());
        back.put("app", "a", new OperatorOverrides.Override(false, OptionalInt.empty()));
        back.save();
        assertFalse(Files.readString(file).contains("\ta\t"), Files.readString(file));
    }

    @Test
    void applyToSetsOverridesAndDropsBackendsThatAreGone() throws Exception {
        PharosConfig c = ConfigLoader.parse("pharos { listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = app } ]\n"
                + " clusters { app { backends = [ { name = a, address = \"127.0.0.1:1\" }, { name = b, address = \"127.0.0.1:2\" } ] } } }");
        Cluster app = new Cluster(c.clusters().get("app"), System::nanoTime, ConfiguredLoadBalancerFactory::of);
        OperatorOverrides o = new OperatorOverrides(Optional.empty());
        o.put("app", "a", new OperatorOverrides.Override(true, OptionalInt.of(3)));
        o.put("app", "gone", new OperatorOverrides.Override(true, OptionalInt.empty()));
        o.put("nocluster", "x", new OperatorOverrides.Override(true, OptionalInt.empty()));
        assertTrue(o.applyTo(Map.of("app", app)));
        assertEquals("draining", app.snapshot().member("a").state().wireName());
        assertEquals(3, app.snapshot().member("a").weight());
        assertTrue(o.get("app", "gone").isEmpty());
        assertTrue(o.get("nocluster", "x").isEmpty());
        assertFalse(o.applyTo(Map.of("app", app)));
    }

    @Test
    void malformedFilesAreErrorsWithTheLine() throws Exception {
        Path file = dir.resolve("bad");
        for (String bad : new String[] {"app\n", "app\tb\tweight=70000\n", "app\tb\tcolour=red\n"}) {
            Files.writeString(file, "# comment\n" + bad);
            IOException e = assertThrows(IOException.class, () -> new OperatorOverrides(Optional.of(file)).load());
            assertTrue(e.getMessage().contains(file + ":2"), e.getMessage());
        }
    }
}
