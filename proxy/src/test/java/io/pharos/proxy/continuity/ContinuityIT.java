package io.pharos.proxy.continuity;

import io.pharos.health.testing.Await;
import io.pharos.proxy.demo.KvApp;
import io.pharos.proxy.demo.KvStoreDump;
import io.pharos.proxy.testing.ProxyProcess;
import io.pharos.proxy.testing.RuntimeHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Data continuity in process: two operated proxies (regions zurich and frankfurt, each the other's peer)
 * over two {@link KvApp} instances each, on loopback. The write path through the listener, the admin
 * document and metrics, and reloads of the {@code continuity} config. The kill -9 runs with real processes
 * are {@code SyncFailoverIT} and its siblings.
 */
class ContinuityIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String TOKEN_Z = "zurich-token-0123456789";
    private static final String TOKEN_F = "frankfurt-token-0123456789";

    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<KvApp> apps = new ArrayList<>();
    private RuntimeHarness zurich;
    private RuntimeHarness frankfurt;
    private int zurichIn;
    private int frankfurtIn;

    @BeforeEach
    void ports() throws Exception {
        zurichIn = ProxyProcess.freePort();
        frankfurtIn = ProxyProcess.freePort();
    }

    @AfterEach
    void close() throws Exception {
        for (RuntimeHarness h : new RuntimeHarness[] {zurich, frankfurt}) {
            if (h != null) {
                h.close();
            }
        }
        for (KvApp a : apps) {
            a.close();
        }
    }

    private String backends(String region) throws Exception {
        Path store = dir.resolve(region + "-store");
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= 2; i++) {
            KvApp a = KvApp.start(new InetSocketAddress("127.0.0.1", 0), store, region + "-" + i);
            apps.add(a);
            sb.append("{ name = kv").append(i).append(", address = \"127.0.0.1:").append(a.port()).append("\" }\n");
        }
        return sb.toString();
    }

    private String config(String region, int listen, String token, int peer, String peerToken, String backends, String mode,
                          String extraContinuity) {
        return "pharos {\n admin { listen = \"127.0.0.1:0\" }\n"
                + " listeners = [ { name = web, listen = \"127.0.0.1:0\", cluster = kv } ]\n"
                + " continuity {\n  region = " + region + "\n  listen = \"127.0.0.1:" + listen + "\"\n  token = \"" + token + "\"\n"
                + "  peer { url = \"http://127.0.0.1:" + peer + "\", token = \"" + peerToken + "\", backoff-max = 200ms }\n"
                + "  journal { dir = \"" + dir.resolve(region + "-journal") + "\" }\n" + extraContinuity + " }\n"
                + " clusters { kv {\n  backends = [ " + backends + " ]\n"
                + "  continuity { mode = " + mode + ", paths = [\"/kv/\"], max-body = 4k, sync { timeout = 1s } }\n } }\n}\n";
    }

    private void startBoth(String mode) throws Exception {
        zurich = new RuntimeHarness();
        frankfurt = new RuntimeHarness();
        // frankfurt first: zurich's shipper then finds its peer at its first try
        frankfurt.start(config("frankfurt", frankfurtIn, TOKEN_F, zurichIn, TOKEN_Z, backends("frankfurt"), mode, ""));
        zurich.start(config("zurich", zurichIn, TOKEN_Z, frankfurtIn, TOKEN_F, backends("zurich"), mode, ""));
    }

    private HttpResponse<String> send(RuntimeHarness region, String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + region.port("web") + path))
                .timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long number(String json, String path) {
        // "section":{..."name":N: enough for the flat fields these tests read
        String[] parts = path.split("\\.");
        int from = 0;
        for (int i = 0; i < parts.length - 1; i++) {
            from = json.indexOf("\"" + parts[i] + "\":", from);
            assertTrue(from >= 0, path + " in " + json);
        }
        Matcher m = Pattern.compile("\"" + parts[parts.length - 1] + "\":(-?\\d+)").matcher(json);
        assertTrue(m.find(from), path + " in " + json);
        return Long.parseLong(m.group(1));
    }

    private Map<String, KvStoreDump.Key> store(String region) throws Exception {
        return KvStoreDump.read(dir.resolve(region + "-store"));
    }

    @Test
    void syncWritesAreInThePeerRegionOnceAndAreNotShippedBack() throws Exception {
        startBoth("sync");
        for (int i = 0; i < 50; i++) {
            HttpResponse<String> r = send(zurich, "POST", "/kv/k" + i, "v" + i, "Content-Type", "text/plain");
            assertEquals(201, r.statusCode(), r.body());
        }
        // the client sent no Idempotency-Key: the proxy made one, the same at both regions
        HttpResponse<String> keyed = send(zurich, "PUT", "/kv/keyed", "x", "Idempotency-Key", "client-key-1");
        assertEquals(201, keyed.statusCode());
        assertEquals(200, send(zurich, "GET", "/kv/k1", null).statusCode(), "reads pass through");

        // the write counters are live; the journal and shipper figures are published every 250 ms
        String z0 = zurich.get("/continuity");
        assertEquals(51, number(z0, "writes.syncConfirmed"), "sync: every 2xx was confirmed by the peer: " + z0);
        Await.until(WAIT, "the status shows it", () -> number(zurich.get("/continuity"), "outbound.confirmed") == 51);
        String z = zurich.get("/continuity");
        assertEquals(51, number(z, "journal.last"), z);
        Await.until(WAIT, "frankfurt applied everything", () -> number(frankfurt.get("/continuity"), "inbound.applied") == 51);

        Map<String, KvStoreDump.Key> here = store("zurich");
        Map<String, KvStoreDump.Key> there = store("frankfurt");
        assertEquals(51, there.size());
        for (int i = 0; i < 50; i++) {
            KvStoreDump.Key k = there.get("k" + i);
            assertNotNull(k, "k" + i);
            assertEquals(List.of("v" + i), k.utf8Values(), "applied exactly once");
            assertEquals(here.get("k" + i).idempotencyKeys(), k.idempotencyKeys(), "the same generated Idempotency-Key");
            assertEquals(1, k.replays().size());
            assertTrue(k.replays().get(0).startsWith("zurich/0/"), k.replays().toString());
        }
        assertEquals(List.of("client-key-1"), there.get("keyed").idempotencyKeys());
        // no loop: frankfurt journaled none of the replays, so nothing went back
        String f = frankfurt.get("/continuity");
        assertEquals(0, number(f, "journal.last"), f);
        assertEquals(0, number(z, "listen.records"), z);

        String metrics = zurich.get("/metrics");
        assertTrue(metrics.contains("pharos_continuity_records_appended_total 51"), metrics);
        assertTrue(metrics.contains("pharos_continuity_sync_wait_seconds_count 51"), metrics);
    }

    @Test
    void writesTheJournalCannotTakeAreRefusedAndTheRestKeepsServing() throws Exception {
        startBoth("sync");
        HttpResponse<String> big = send(zurich, "PUT", "/kv/big", "x".repeat(5000));
        assertEquals(413, big.statusCode(), big.body());
        assertFalse(store("zurich").containsKey("big"), "refused before the backend");

        frankfurt.stopProxy();
        Await.until(WAIT, "zurich sees frankfurt gone", () -> {
            HttpResponse<String> r = send(zurich, "PUT", "/kv/while-down", "x");
            return r.statusCode() == 503;
        });
        HttpResponse<String> refused = send(zurich, "PUT", "/kv/while-down-2", "x");
        assertEquals(503, refused.statusCode());
        assertTrue(refused.headers().firstValue("Retry-After").isPresent());
        assertFalse(store("zurich").containsKey("while-down-2"), "a peer known down refuses before the backend");
        assertEquals(404, send(zurich, "GET", "/kv/nothing", null).statusCode(), "reads keep serving");
        int other = send(zurich, "POST", "/other", "x").statusCode();
        assertTrue(other >= 400 && other < 500, "a route that does not replicate reaches the app: " + other);
        String z = zurich.get("/continuity");
        assertTrue(number(z, "refused.peer_unavailable") + number(z, "refused.sync_timeout") >= 1, z);
        assertTrue(number(z, "refused.body_too_large") == 1, z);
    }

    @Test
    void reloadsChangeTheModeAndRefuseAJournalMove() throws Exception {
        startBoth("async");
        assertEquals(201, send(zurich, "PUT", "/kv/a", "1").statusCode());
        Await.until(WAIT, "shipped", () -> number(zurich.get("/continuity"), "journal.confirmed") == 1);

        String backends = zurich.runtime().server().config().clusters().get("kv").backends().stream()
                .map(b -> "{ name = " + b.name() + ", address = \"" + b.address() + "\" }").reduce("", (x, y) -> x + y + "\n");
        zurich.writeConfig(config("zurich", zurichIn, TOKEN_Z, frankfurtIn, TOKEN_F, backends, "off", ""));
        HttpResponse<String> ok = zurich.admin("POST", "/reload", null);
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals(201, send(zurich, "PUT", "/kv/b", "1").statusCode());
        assertEquals(1, number(zurich.get("/continuity"), "journal.last"), "mode off: not journaled");
        assertTrue(zurich.get("/continuity").contains("\"mode\":\"off\""));

        String moved = config("zurich", zurichIn, TOKEN_Z, frankfurtIn, TOKEN_F, backends, "async", "")
                .replace(dir.resolve("zurich-journal").toString(), dir.resolve("elsewhere").toString());
        zurich.writeConfig(moved);
        HttpResponse<String> refused = zurich.admin("POST", "/reload", null);
        assertEquals(400, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("pharos.continuity.journal"), refused.body());
        assertTrue(zurich.get("/continuity").contains("\"mode\":\"off\""), "the old config keeps running");

        zurich.writeConfig(config("zurich", zurichIn, TOKEN_Z, frankfurtIn, TOKEN_F, backends, "async", ""));
        assertEquals(200, zurich.admin("POST", "/reload", null).statusCode());
        assertEquals(201, send(zurich, "PUT", "/kv/c", "1").statusCode());
        Await.until(WAIT, "journaled and shipped again", () -> number(zurich.get("/continuity"), "journal.confirmed") == 2);
        Await.until(WAIT, "applied in frankfurt", () -> store("frankfurt").containsKey("c"));
        assertFalse(store("frankfurt").containsKey("b"));
    }
}
