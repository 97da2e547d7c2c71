package io.pharos.proxy.config;

import io.pharos.health.config.HostPort;
import io.pharos.proxy.config.PharosConfig.Algorithm;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {
    private static final String OK_CLUSTER = "clusters { app { backends = [ { name = a, address = \"127.0.0.1:9001\" } ] } }";

    private static List<String> problems(String hocon) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parse(hocon)).problems();
    }

    private static void assertProblem(String hocon, String expected) {
        List<String> p = problems(hocon);
        assertTrue(p.stream().anyMatch(s -> s.contains(expected)), "expected a problem containing '" + expected + "' in " + p);
    }

    @Test
    void theExampleConfigLoadsWithTheDocumentedValues() throws Exception {
        PharosConfig c = ConfigLoader.load(Path.of("../conf/pharos.conf"));
        assertEquals(2, c.listeners().size());
        ClusterConfig app = c.clusters().get("app");
        assertEquals(Algorithm.LEAST_REQUEST, app.balancer().algorithm());
        assertEquals(2, app.backends().size());
        assertEquals(Duration.ofSeconds(2), app.health().active().orElseThrow().interval());
        assertEquals(5, app.health().passive().orElseThrow().consecutiveFailures());
        assertEquals(64 * 1024, app.retries().replayBuffer());
        assertEquals(Duration.ofSeconds(15), app.timeouts().request());
        assertEquals(16 * 1024, c.http().maxHeaderSize());
    }

    @Test
    void defaultsApplyWhenSectionsAreAbsent() throws Exception {
        PharosConfig c = ConfigLoader.parse("pharos { listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = app } ]\n" + OK_CLUSTER + " }");
        ClusterConfig app = c.clusters().get("app");
        assertEquals(Algorithm.ROUND_ROBIN, app.balancer().algorithm());
        assertEquals(100, app.backends().get(0).weight());
        assertEquals(2, app.retries().attempts());
        assertEquals(Duration.ofSeconds(1), app.timeouts().connect());
        assertEquals(new HostPort("127.0.0.1", 9901), c.admin().listen());
        assertEquals(50, app.balancer().panicThreshold());
        assertEquals(65537, app.balancer().maglevTableSize());
    }

    @Test
    void spliceIsOnByDefaultForTcpListenersAndCanBeTurnedOff() throws Exception {
        PharosConfig c = ConfigLoader.parse("pharos { listeners = [ { name = a, listen = \"127.0.0.1:0\", protocol = tcp, cluster = app }\n"
                + " { name = b, listen = \"127.0.0.1:0\", protocol = tcp, cluster = app, splice = false } ]\n" + OK_CLUSTER + " }");
        assertTrue(c.listeners().get(0).splice());
        assertEquals(false, c.listeners().get(1).splice());
        assertProblem("pharos { listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = app, splice = false } ]\n" + OK_CLUSTER + " }",
                "pharos.listeners[0].splice: only for protocol = tcp");
    }

    @Test
    void everyProblemNamesItsPath() {
        List<String> p = problems("pharos { workers = -1\n listeners = [ { name = w, listen = \"nohost\", cluster = nope } ]\n"
                + " clusters { app { balancer = fastest, backends = [ { name = a, address = \"1.2.3.4:80\" },"
                + " { name = a, address = \"1.2.3.4:81\", weight = 70000 } ], timeouts { connect = -1s }, typo = 1 } } }");
        List<String> expected = List.of(
                "pharos.workers: -1 is out of range",
                "pharos.clusters.app.balancer: unknown value 'fastest'",
                "pharos.clusters.app.backends[1].weight: 70000 is out of range",
                "pharos.clusters.app.backends[1].name: duplicate backend name 'a'",
                "pharos.clusters.app.timeouts.connect: must be > 0",
                "pharos.clusters.app.typo: unknown key",
                "pharos.listeners[0].listen: bad address 'nohost'",
                "pharos.listeners[0].cluster: no cluster named 'nope'");
        for (String e : expected) {
            assertTrue(p.stream().anyMatch(s -> s.startsWith(e)), "missing '" + e + "' in " + p);
        }
        assertEquals(expected.size(), p.size(), p.toString());
    }

    @Test
    void durationsAndSizesWithoutAUnitAreRefusedNamingThePath() {
        List<String> p = problems("pharos { listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = app } ]\n"
                + " http { max-header-size = 16384 }\n"
                + " clusters { app { backends = [ { name = a, address = \"127.0.0.1:9001\" } ],"
                + " health { active { interval = 1, timeout = 0 } }, timeouts { conect = 1s } } } }");
        List<String> expected = List.of(
                "pharos.http.max-header-size: expected a size with a unit (e.g. 512b, 16k, 1m), got 16384",
                "pharos.clusters.app.health.active.interval: expected a duration with a unit (e.g. 2s, 500ms), got 1",
                "pharos.clusters.app.health.active.timeout: must be > 0, got 0",
                "pharos.clusters.app.timeouts.conect: unknown key (did you mean 'connect'?)");
        assertTrue(p.containsAll(expected), p.toString());
        assertEquals(expected.size(), p.size(), p.toString());
    }

    @Test
    void aSyntaxErrorInAFileNamesItsLineOnce(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.conf");
        java.nio.file.Files.writeString(file, "pharos {\n  listeners = [ { name = a, listen = \"127.0.0.1:1\", cluster = c\n}\n");
        List<String> p = assertThrows(ConfigException.class, () -> ConfigLoader.load(file)).problems();
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.get(0).startsWith("line 4: "), p.get(0));
        assertTrue(!p.get(0).contains("bad.conf"), "the caller names the file: " + p.get(0));
    }

    @Test
    void crossChecks() {
        assertProblem("pharos { listeners = [ { name = w, listen = \"127.0.0.1:80\", cluster = app }, "
                + "{ name = w, listen = \"127.0.0.1:80\", cluster = app } ]\n" + OK_CLUSTER + " }", "duplicate listener name 'w'");
        assertProblem("pharos { listeners = [ { name = w, listen = \"127.0.0.1:80\", cluster = app }, "
                + "{ name = x, listen = \"127.0.0.1:80\", cluster = app } ]\n" + OK_CLUSTER + " }", "is used by another listener");
        assertProblem("pharos { admin { listen = \"0.0.0.0:9901\" }\n listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = app } ]\n"
                + OK_CLUSTER + " }", "pharos.admin.token: required");
        assertProblem("pharos { listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = app } ]\n"
                + "clusters { app { balancer = maglev, backends = [ { name = a, address = \"127.0.0.1:1\" } ] } } }", "hash-key: required");
        assertProblem("pharos { listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = app } ]\n"
                + "clusters { app { table-size = 65536, backends = [ { name = a, address = \"127.0.0.1:1\" } ] } } }", "is not a prime");
        assertProblem("pharos { listeners = [ { name = w, listen = \"127.0.0.1:0\", protocol = tcp, cluster = app } ]\n"
                + "clusters { app { hash-key = \"header:X\", backends = [ { name = a, address = \"127.0.0.1:1\" } ] } } }", "which a tcp listener cannot see");
        assertProblem("pharos { listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = app } ]\n"
                + "clusters { app { backends = [] } } }", "backends: empty");
        assertProblem("pharos { listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = app, tls { certificate = x.pem, key = y.pem } } ]\n"
                + OK_CLUSTER + " }", "file ./x.pem not found");
        assertProblem("pharos { listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = app } ]\n"
                + "clusters { app { backends = [ { name = a, address = \"127.0.0.1:1\" } ], health { active { expect-status = [\"700\"] } } } } }",
                "bad status range '700'");
        assertProblem("pharos { listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = app } ]\n"
                + "clusters { app { backends = [ { name = a, address = \"127.0.0.1:1\" } ], health { passive { base-ejection-time = 60s, max-ejection-time = 10s } } } } }",
                "max-ejection-time: must be >= base-ejection-time");
    }

    @Test
    void clusterProtocolIsHttp1ByDefaultOrH2() throws Exception {
        String listeners = "pharos { listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = app } ]\n";
        assertEquals(PharosConfig.UpstreamProtocol.HTTP1, ConfigLoader.parse(listeners + OK_CLUSTER + " }").clusters().get("app").protocol());
        assertEquals(PharosConfig.UpstreamProtocol.H2, ConfigLoader.parse(listeners
                + "clusters { app { protocol = h2, backends = [ { name = a, address = \"127.0.0.1:1\" } ] } } }").clusters().get("app").protocol());
        List<String> p = problems(listeners + "clusters { app { protocol = http2, backends = [ { name = a, address = \"127.0.0.1:1\" } ] } } }");
        assertEquals(List.of("pharos.clusters.app.protocol: unknown value 'http2' (expected one of http1, h2)"), p);
        assertProblem(listeners + "clusters { app { protocol = h2, proxy-protocol { send = v1 },"
                + " backends = [ { name = a, address = \"127.0.0.1:1\" } ] } } }", "pharos.clusters.app.proxy-protocol.send: not with protocol = h2");
    }

    @Test
    void syntaxErrorsAndMissingRootAreReported() {
        assertProblem("pharos { listeners = [ ", "");
        assertProblem("other { }", "pharos: missing");
        assertProblem("pharos { clusters { } }", "pharos.listeners: missing");
    }

    @Test
    void hostPortParsing() {
        assertEquals(new HostPort("::1", 80), HostPort.parse("[::1]:80"));
        assertEquals(new HostPort("a.example", 8080), HostPort.parse("a.example:8080"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("a.example"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("a:b:c"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("a:70000"));
        assertEquals("[::1]:80", HostPort.parse("[::1]:80").toString());
    }
}
