package io.pharos.proxy.config;

import io.pharos.health.config.HostPort;
import io.pharos.proxy.config.PharosConfig.ClusterContinuity;
import io.pharos.proxy.config.PharosConfig.ContinuityConfig;
import io.pharos.proxy.config.PharosConfig.ContinuityMode;
import io.pharos.proxy.config.PharosConfig.OnPeerFailure;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContinuityConfigTest {
    private static final String LISTENERS = "listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = app } ]\n";
    private static final String TOKEN = "0123456789abcdef-token";

    private static String config(String continuity, String clusterContinuity) {
        return "pharos { " + LISTENERS + continuity + "\n clusters { app { backends = [ { name = a, address = \"127.0.0.1:9001\" } ]\n"
                + clusterContinuity + " } } }";
    }

    private static void assertProblem(String hocon, String expected) {
        List<String> p = assertThrows(ConfigException.class, () -> ConfigLoader.parse(hocon)).problems();
        assertTrue(p.stream().anyMatch(s -> s.contains(expected)), "expected a problem containing '" + expected + "' in " + p);
    }

    @Test
    void absentMeansOffEverywhere() throws Exception {
        PharosConfig c = ConfigLoader.parse(config("", ""));
        assertEquals(Optional.empty(), c.continuity());
        assertEquals(ClusterContinuity.OFF, c.clusters().get("app").continuity());
        assertFalse(c.clusters().get("app").continuity().enabled());
    }

    @Test
    void everyKeyIsReadWithItsDefaults() throws Exception {
        PharosConfig c = ConfigLoader.parse(config(
                "continuity { region = zurich, listen = \"127.0.0.1:9443\", token = \"" + TOKEN + "\"\n"
                        + " peer { url = \"http://127.0.0.1:9444\", token = \"" + TOKEN + "\", batch-records = 64 }\n"
                        + " journal { dir = /tmp/j, max-bytes = 16m, segment-size = 1m }\n apply { lanes = 4 } }",
                "continuity { mode = sync, paths = [/kv], partition-key = \"header:X-Tenant\", max-body = 64k,"
                        + " headers = [X-Request-Id, Authorization], sync { timeout = 500ms, on-peer-failure = degrade }, max-lag = 30s }"));
        ContinuityConfig g = c.continuity().orElseThrow();
        assertEquals("zurich", g.region());
        assertEquals(Optional.of(new HostPort("127.0.0.1", 9443)), g.listen());
        assertEquals(9444, g.peer().orElseThrow().url().getPort());
        assertEquals(64, g.peer().orElseThrow().batchRecords());
        assertEquals(Path.of("/tmp/j"), g.journal().dir());
        assertEquals(16L << 20, g.journal().maxBytes());
        assertEquals(4, g.apply().lanes());
        assertFalse(g.toString().contains(TOKEN), "tokens stay out of logs");
        ClusterContinuity cc = c.clusters().get("app").continuity();
        assertEquals(ContinuityMode.SYNC, cc.mode());
        assertEquals(List.of("POST", "PUT", "PATCH", "DELETE"), cc.methods());
        assertEquals(List.of("/kv"), cc.paths());
        assertEquals("header:X-Tenant", cc.partitionKey().toString());
        assertEquals(64 * 1024, cc.maxBody());
        assertEquals(List.of("host", "content-type", "content-encoding", "content-language", "x-request-id", "authorization"), cc.headers());
        assertEquals(Duration.ofMillis(500), cc.syncTimeout());
        assertEquals(OnPeerFailure.DEGRADE, cc.onPeerFailure());
        assertEquals(Duration.ofSeconds(30), cc.maxLag());
    }

    @Test
    void regionDefaultsToTheEventsRegion() throws Exception {
        PharosConfig c = ConfigLoader.parse("pharos { events { file = /dev/shm/x, region = frankfurt }\n"
                + config("continuity { journal { dir = /tmp/j } }", "").substring("pharos { ".length()));
        assertEquals("frankfurt", c.continuity().orElseThrow().region());
    }

    @Test
    void problemsNameTheirPath() {
        assertProblem(config("", "continuity { mode = async }"),
                "pharos.clusters.app.continuity.mode: async needs pharos.continuity");
        assertProblem(config("continuity { journal { dir = /tmp/j } }", "continuity { mode = sync }"),
                "pharos.clusters.app.continuity.mode: sync needs pharos.continuity.peer");
        assertProblem(config("continuity { journal { dir = /tmp/j } }", "continuity { mode = async }"),
                "pharos.clusters.app.continuity.mode: async needs pharos.continuity.peer");
        assertProblem(config("continuity { journal { dir = /tmp/j } }", "continuity { mode = eventually }"),
                "pharos.clusters.app.continuity.mode: unknown value 'eventually'");
        assertProblem(config("continuity { journal { dir = /tmp/j } }", "continuity { methods = [GET] }"),
                "pharos.clusters.app.continuity.methods: GET is not a write");
        assertProblem(config("continuity { journal { dir = /tmp/j } }", "continuity { partition-key = cookie }"),
                "pharos.clusters.app.continuity.partition-key: bad partition-key 'cookie'");
        assertProblem(config("continuity { journal { dir = /tmp/j } }", "continuity { headers = [Idempotency-Key] }"),
                "pharos.clusters.app.continuity.headers: Idempotency-Key is set by the replay itself");
        assertProblem(config("continuity { journal { dir = /tmp/j } }", "continuity { paths = [kv] }"),
                "pharos.clusters.app.continuity.paths: prefix 'kv' must start with '/'");
        assertProblem(config("continuity { journal { dir = /tmp/j } }", "continuity { max-body = 1g }"),
                "pharos.clusters.app.continuity.max-body");
        assertProblem(config("continuity { listen = \"127.0.0.1:9443\", journal { dir = /tmp/j } }", ""),
                "pharos.continuity.token: required when listen is set");
        assertProblem(config("continuity { listen = \"127.0.0.1:9443\", token = short, journal { dir = /tmp/j } }", ""),
                "pharos.continuity.token: too short");
        assertProblem(config("continuity { peer { url = \"ftp://x:1\", token = \"" + TOKEN + "\" }, journal { dir = /tmp/j } }", ""),
                "pharos.continuity.peer.url: 'ftp://x:1' is not an http:// or https:// URL");
        assertProblem(config("continuity { peer { url = \"https://x\", token = \"" + TOKEN + "\" }, journal { dir = /tmp/j } }", ""),
                "pharos.continuity.peer.url: 'https://x' needs a host and a port");
        assertProblem(config("continuity { peer { url = \"https://x:1\" }, journal { dir = /tmp/j } }", ""),
                "pharos.continuity.peer.token: required unless a client certificate");
        assertProblem(config("continuity { journal { dir = /tmp/j, engine = kafka } }", ""),
                "pharos.continuity.journal.engine: unknown engine 'kafka'");
        assertProblem(config("continuity { journal { } }", ""), "pharos.continuity.journal.dir: missing");
        assertProblem(config("continuity { region = \"../x\", journal { dir = /tmp/j } }", ""), "pharos.continuity.region: bad region name");
        assertProblem(config("continuity { journal { dir = /tmp/j }, bogus = 1 }", ""), "pharos.continuity.bogus");
    }
}
