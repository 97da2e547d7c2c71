package io.pharos.proxy.admin;

import io.pharos.health.config.HostPort;
import io.pharos.proxy.config.PharosConfig.AdminConfig;
import io.pharos.proxy.testing.LoadGenerator;
import io.pharos.proxy.testing.PrometheusText;
import io.pharos.proxy.testing.RawHttp;
import io.pharos.proxy.testing.RuntimeHarness;
import io.pharos.proxy.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.pharos.health.testing.Await.within;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The admin API over real sockets against an in-process proxy with real backends. */
class AdminApiIT {
    private RuntimeHarness h;
    private TestBackend b1;
    private TestBackend b2;

    @BeforeEach
    void setUp() throws Exception {
        h = new RuntimeHarness();
        b1 = h.addBackend("b1");
        b2 = h.addBackend("b2");
    }

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    private String config(String backends) {
        return "pharos {\n workers = 2\n"
                + " admin { listen = \"127.0.0.1:0\", state-file = \"" + h.dir().resolve("state") + "\" }\n"
                + " shutdown { delay = 0s, drain-timeout = 5s }\n"
                + " listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app } ]\n"
                + " clusters { app { backends = [\n" + backends + " ] } }\n}\n";
    }

    private void start() throws Exception {
        h.start(config(h.backendsHocon("b1", "b2")));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(String text) throws Exception {
        return (Map<String, Object>) JsonReader.parse(text);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> backendJson(String name) throws Exception {
        List<Object> backends = (List<Object>) json(h.get("/clusters/app")).get("backends");
        for (Object o : backends) {
            Map<String, Object> m = (Map<String, Object>) o;
            if (m.get("name").equals(name)) {
                return m;
            }
        }
        throw new AssertionError("no backend " + name);
    }

    private void assertError(int status, HttpResponse<String> r) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"), r.headers().toString());
        Map<String, Object> body = json(r.body());
        assertEquals((long) status, body.get("status"), r.body());
        assertTrue(body.get("message") instanceof String s && !s.isEmpty(), r.body());
    }

    @Test
    void everyErrorCaseAnswersItsStatusWithAJsonMessage() throws Exception {
        start();
        assertError(404, h.admin("GET", "/nope", null));
        assertError(404, h.admin("GET", "/clusters/nope", null));
        assertError(404, h.admin("POST", "/clusters/nope/backends/b1/drain", null));
        assertError(404, h.admin("POST", "/clusters/app/backends/nope/drain", null));
        assertError(404, h.admin("PUT", "/clusters/app/backends/nope/weight", "{\"weight\": 5}"));
        assertError(404, h.admin("POST", "/clusters/app/backends/b1/explode", null));
        for (String bad : List.of("{\"weight\": \"abc\"}", "{\"weight\": 1.5}", "{\"weight\": 65536}", "{\"weight\": -1}",
                "{\"weight\": 1e2}", "{}", "[5]", "{\"weight\": 5, \"x\": 1}", "{\"weight\": 5", "weight=5", "")) {
            assertError(400, h.admin("PUT", "/clusters/app/backends/b1/weight", bad));
        }
        assertError(400, h.admin("POST", "/clusters/app/backends/b1/drain?timeout=soon", null));
        assertError(413, h.admin("PUT", "/clusters/app/backends/b1/weight", "{\"weight\": 5}" + " ".repeat(64 * 1024)));
        assertError(405, h.admin("DELETE", "/clusters", null));
        assertError(405, h.admin("GET", "/reload", null));
        assertError(405, h.admin("POST", "/healthz", null));
        assertError(405, h.admin("GET", "/clusters/app/backends/b1/drain", null));
        assertError(405, h.admin("POST", "/clusters/app/backends/b1/weight", "{\"weight\": 5}"));
        // none of the rejected requests changed anything
        assertEquals(100L, backendJson("b1").get("weight"));
        assertEquals("healthy", backendJson("b1").get("state"));
        assertEquals(200, h.admin("GET", "/healthz", null).statusCode());
    }

    @Test
    void withATokenEveryRequestNeedsTheBearerToken() throws Exception {
        start();
        String token = "s3cret-token-0123456789";
        try (AdminServer guarded = AdminServer.start(new AdminConfig(new HostPort("127.0.0.1", 0), Optional.of(token), Optional.empty()), h.runtime(), h.runtime())) {
            var client = java.net.http.HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + guarded.localAddress().getPort();
            for (String path : List.of("/healthz", "/status", "/metrics", "/clusters/app")) {
                var noAuth = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + path)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertError(401, noAuth);
                var wrong = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + path))
                        .header("Authorization", "Bearer s3cret-token-0123456788").build(), HttpResponse.BodyHandlers.ofString());
                assertError(401, wrong);
                var right = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + path))
                        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, right.statusCode(), path + ": " + right.body());
            }
            var drainWrong = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/clusters/app/backends/b1/drain"))
                    .header("Authorization", "Basic " + token).POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertError(401, drainWrong);
            assertEquals("healthy", backendJson("b1").get("state"));
        }
    }

    @Test
    void drainUnderLoadFinishesInFlightAndSendsNothingNewThenReadyBringsItBack() throws Exception {
        start();
        int port = h.port("web");
        try (LoadGenerator slow = LoadGenerator.start(port, 3, 10_000, Duration.ofSeconds(60), "/slow?ms=150");
             LoadGenerator fast = LoadGenerator.start(port, 3, 100_000, Duration.ofSeconds(60), "/")) {
            assertTrue(within(Duration.ofSeconds(20), () -> b1.requests() > 20 && ((Number) backendJson("b1").get("inFlight")).longValue() > 0),
                    "b1 has requests in flight");
            HttpResponse<String> r = h.admin("POST", "/clusters/app/backends/b1/drain", null);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("draining", json(r.body()).get("state"));
            assertEquals("draining", backendJson("b1").get("state"));
            // its in-flight requests finish; then it receives nothing new
            assertTrue(within(Duration.ofSeconds(20), () -> ((Number) backendJson("b1").get("inFlight")).longValue() == 0), "b1 in-flight drained");
            int atDrain = RuntimeHarness.stableRequests(b1);
            int b2Before = b2.requests();
            assertTrue(within(Duration.ofSeconds(20), () -> b2.requests() > b2Before + 200), "traffic keeps flowing to b2");
            assertEquals(atDrain, b1.requests(), "a draining backend received new requests");

            r = h.admin("POST", "/clusters/app/backends/b1/ready", null);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("healthy", json(r.body()).get("state"));
            assertTrue(within(Duration.ofSeconds(20), () -> b1.requests() > atDrain + 50), "ready brings traffic back to b1");
            slow.stop();
            fast.stop();
            assertEquals(0, slow.failed() + fast.failed(), "failures: " + slow.failures() + fast.failures());
            assertTrue(slow.ok() > 0 && fast.ok() > 0);
        }
    }

    @Test
    void weightZeroTakesTrafficAwayAndBackMovesItBack() throws Exception {
        start();
        int port = h.port("web");
        try (LoadGenerator load = LoadGenerator.start(port, 3, 100_000, Duration.ofSeconds(60), "/")) {
            assertTrue(within(Duration.ofSeconds(20), () -> b2.requests() > 50), "b2 gets traffic at weight 100");
            HttpResponse<String> r = h.admin("PUT", "/clusters/app/backends/b2/weight", "{\"weight\": 0}");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(0L, json(r.body()).get("weight"));
            assertTrue(within(Duration.ofSeconds(20), () -> ((Number) backendJson("b2").get("inFlight")).longValue() == 0));
            int b2AtZero = RuntimeHarness.stableRequests(b2);
            int b1AtZero = b1.requests();
            assertTrue(within(Duration.ofSeconds(20), () -> b1.requests() > b1AtZero + 200), "b1 takes all the traffic");
            assertEquals(b2AtZero, b2.requests(), "weight 0 received new requests");

            assertEquals(200, h.admin("PUT", "/clusters/app/backends/b2/weight", "{\"weight\": 100}").statusCode());
            int b1Back = b1.requests();
            int b2Back = b2.requests();
            assertTrue(within(Duration.ofSeconds(20), () -> b2.requests() - b2Back > 200), "b2 takes traffic again");
            int d1 = b1.requests() - b1Back;
            int d2 = b2.requests() - b2Back;
            assertTrue(d2 * 3 > d1 && d1 * 3 > d2, "equal weights share the traffic: b1 +" + d1 + ", b2 +" + d2);
            load.stop();
            assertEquals(0, load.failed(), "failures: " + load.failures());
        }
    }

    @Test
    void drainTimeoutClosesConnectionsStillOpenToTheBackend() throws Exception {
        start();
        assertEquals(200, h.admin("PUT", "/clusters/app/backends/b2/weight", "{\"weight\": 0}").statusCode());
        try (RawHttp c = new RawHttp(h.port("web"))) {
            c.send("GET /slow?ms=8000 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertTrue(within(Duration.ofSeconds(10), () -> ((Number) backendJson("b1").get("inFlight")).longValue() == 1));
            long t0 = System.nanoTime();
            assertEquals(200, h.admin("POST", "/clusters/app/backends/b1/drain?timeout=300ms", null).statusCode());
            RawHttp.Response r = c.read();
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(502, r.status(), r.bodyText());
            assertTrue(tookMs < 7000, "closed at the drain deadline, not when the backend answered: " + tookMs + " ms");
            assertTrue(within(Duration.ofSeconds(10), () -> ((Number) backendJson("b1").get("openConnections")).longValue() == 0));
        }
    }

    @Test
    void metricsParseStrictlyAndCountWhatWasSent() throws Exception {
        start();
        int port = h.port("web");
        try (RawHttp c = new RawHttp(port)) {
            for (int i = 0; i < 30; i++) {
                assertEquals(200, c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
            }
            for (int i = 0; i < 10; i++) {
                assertEquals(404, c.send("GET /status?code=404 HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
            }
            for (int i = 0; i < 5; i++) {
                assertEquals(200, c.send("POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" + "y".repeat(100)).read().status());
            }
        }
        HttpResponse<String> r = h.admin("GET", "/metrics", null);
        assertEquals(200, r.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("content-type").orElse(""));
        PrometheusText m = PrometheusText.parse(r.body());
        assertEquals(35.0, m.value("pharos_http_responses_total", "listener", "web", "code", "2xx"));
        assertEquals(10.0, m.value("pharos_http_responses_total", "listener", "web", "code", "4xx"));
        assertEquals(0.0, m.value("pharos_http_responses_total", "listener", "web", "code", "5xx"));
        assertEquals(45.0, m.value("pharos_http_request_duration_seconds_count", "listener", "web"));
        assertEquals(45.0, m.sum("pharos_backend_requests_total", "cluster", "app"));
        assertEquals(10.0, m.sum("pharos_backend_responses_total", "cluster", "app", "code", "4xx"));
        assertEquals((double) b1.requests(), m.value("pharos_backend_requests_total", "cluster", "app", "backend", "b1"));
        // bytes on the wire, headers included: what the backends read (the 500 body bytes and more)
        assertEquals((double) (b1.rawBytes() + b2.rawBytes()), m.sum("pharos_backend_sent_bytes_total", "cluster", "app"));
        assertTrue(m.sum("pharos_backend_sent_bytes_total", "cluster", "app") > 500.0);
        assertEquals(1.0, m.value("pharos_listener_connections_total", "listener", "web"));
        assertEquals(1.0, m.value("pharos_backend_state", "cluster", "app", "backend", "b1", "state", "unknown"));
        assertEquals(100.0, m.value("pharos_backend_weight", "cluster", "app", "backend", "b2"));
        assertEquals("histogram", m.types().get("pharos_http_request_duration_seconds"));
        // every response counted once in its backend's response-time histogram, the buckets cumulative
        assertEquals("histogram", m.types().get("pharos_backend_response_seconds"));
        assertEquals(45.0, m.sum("pharos_backend_response_seconds_count", "cluster", "app"));
        assertEquals(45.0, m.sum("pharos_backend_response_seconds_bucket", "cluster", "app", "le", "+Inf"));
        assertEquals((double) b1.requests(), m.value("pharos_backend_response_seconds_count", "cluster", "app", "backend", "b1"));
        assertTrue(m.sum("pharos_backend_response_seconds_bucket", "cluster", "app", "le", "0.001")
                <= m.sum("pharos_backend_response_seconds_bucket", "cluster", "app", "le", "10.0"));
        assertTrue(m.sum("pharos_backend_response_seconds_sum", "cluster", "app") > 0);
        assertEquals("counter", m.types().get("pharos_reloads_ok_total"));
        assertTrue(m.value("pharos_listener_received_bytes_total", "listener", "web") > 500);
        // a family registered by another part through the hook
        h.runtime().metrics().counter("pharos_test_events_dropped_total", "dropped \"events\"\\", () -> 7);
        PrometheusText again = PrometheusText.parse(h.get("/metrics"));
        assertEquals(7.0, again.value("pharos_test_events_dropped_total"));
    }

    @Test
    void overridesSurviveReloadAndRestartThroughTheStateFileUnlessTheBackendIsRemoved() throws Exception {
        h.addBackend("b3");
        h.start(config(h.backendsHocon("b1", "b2", "b3")));
        assertEquals(200, h.admin("POST", "/clusters/app/backends/b1/drain", null).statusCode());
        assertEquals(200, h.admin("PUT", "/clusters/app/backends/b2/weight", "{\"weight\": 7}").statusCode());
        assertEquals(200, h.admin("PUT", "/clusters/app/backends/b3/weight", "{\"weight\": 9}").statusCode());
        Path state = h.dir().resolve("state");
        String saved = Files.readString(state);
        assertTrue(saved.contains("app\tb1\tdraining=true"), saved);
        assertTrue(saved.contains("app\tb2\tweight=7"), saved);

        // reload: b3 removed; overrides of kept backends stay
        h.writeConfig(config(h.backendsHocon("b1", "b2")));
        HttpResponse<String> r = h.admin("POST", "/reload", null);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("ok", json(r.body()).get("result"));
        assertEquals("draining", backendJson("b1").get("state"));
        assertEquals(7L, backendJson("b2").get("weight"));
        assertFalse(Files.readString(state).contains("b3"), Files.readString(state));

        // restart over the same files
        h.stopProxy();
        h.start(config(h.backendsHocon("b1", "b2", "b3")));
        assertEquals("draining", backendJson("b1").get("state"));
        assertEquals(7L, backendJson("b2").get("weight"));
        assertEquals(100L, backendJson("b3").get("weight"), "b3's override went with its removal");
        assertEquals(200, h.admin("POST", "/clusters/app/backends/b1/ready", null).statusCode());
        assertFalse(Files.readString(state).contains("b1"), Files.readString(state));
    }

    @Test
    void aWeightOverrideIsShownRemovedByDeleteKeptByReadyAndAReloadItShadowsSaysSo() throws Exception {
        start();
        Map<String, Object> b2 = backendJson("b2");
        assertEquals(100L, b2.get("configWeight"));
        assertEquals(null, b2.get("weightOverride"));
        assertEquals(100L, b2.get("weight"));

        HttpResponse<String> put = h.admin("PUT", "/clusters/app/backends/b2/weight", "{\"weight\": 7}");
        assertEquals(200, put.statusCode(), put.body());
        assertEquals(7L, json(put.body()).get("weightOverride"));
        assertEquals(100L, json(put.body()).get("configWeight"));
        assertEquals(7L, json(put.body()).get("weight"), "the effective weight");

        // ready ends a drain and nothing else: the weight override stays, and the answer shows it
        HttpResponse<String> ready = h.admin("POST", "/clusters/app/backends/b2/ready", null);
        assertEquals(200, ready.statusCode(), ready.body());
        assertEquals(7L, json(ready.body()).get("weightOverride"));

        // a reload that changes b2's config weight is shadowed by the override, and says so
        h.writeConfig(config("{ name = b1, address = \"" + b1.address() + "\" }\n"
                + "{ name = b2, address = \"" + this.b2.address() + "\", weight = 50 }\n"));
        HttpResponse<String> reload = h.admin("POST", "/reload", null);
        assertEquals(200, reload.statusCode(), reload.body());
        List<?> notes = (List<?>) json(reload.body()).get("notes");
        assertTrue(notes.stream().anyMatch(n -> n.toString().contains("b2: config weight 100 -> 50 is shadowed by the operator override 7")),
                reload.body());
        assertTrue(((List<?>) ((Map<?, ?>) json(h.get("/status")).get("lastReload")).get("notes")).equals(notes));
        b2 = backendJson("b2");
        assertEquals(50L, b2.get("configWeight"));
        assertEquals(7L, b2.get("weight"));

        // DELETE removes the override: the config's weight applies, and the state file forgets it
        HttpResponse<String> del = h.admin("DELETE", "/clusters/app/backends/b2/weight", null);
        assertEquals(200, del.statusCode(), del.body());
        assertEquals(null, json(del.body()).get("weightOverride"));
        assertEquals(50L, json(del.body()).get("weight"));
        assertFalse(Files.readString(h.dir().resolve("state")).contains("b2"), Files.readString(h.dir().resolve("state")));
        assertEquals(200, h.admin("DELETE", "/clusters/app/backends/b2/weight", null).statusCode(), "removing no override is a no-op");
        assertError(404, h.admin("DELETE", "/clusters/app/backends/nope/weight", null));
        HttpResponse<String> post = h.admin("POST", "/clusters/app/backends/b2/weight", "{\"weight\": 5}");
        assertError(405, post);
        assertTrue(post.body().contains("PUT, DELETE"), post.body());

        // a later reload with the same weights notes nothing about b2
        HttpResponse<String> again = h.admin("POST", "/reload", null);
        assertFalse(again.body().contains("shadowed"), again.body());
    }

    @Test
    @SuppressWarnings("unchecked")
    void clustersShowWhatTheBalancerDoesWithWeightsAndWhyABackendIsOutOfService() throws Exception {
        int dead = io.pharos.proxy.testing.ProxyProcess.freePort();
        h.start("pharos {\n workers = 2\n admin { listen = \"127.0.0.1:0\" }\n shutdown { delay = 0s, drain-timeout = 5s }\n"
                + " listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app },\n"
                + "   { name = flaky, listen = \"127.0.0.1:0\", protocol = http, cluster = flaky } ]\n"
                + " clusters {\n"
                + "  app { balancer = round-robin, backends = [ { name = b1, address = \"" + b1.address() + "\" },"
                + " { name = dead, address = \"127.0.0.1:" + dead + "\" } ]\n"
                + "   health.active { type = http, path = \"/\", interval = 100ms, timeout = 1s, rise = 1, fall = 1 } }\n"
                + "  flaky { backends = [ { name = b2, address = \"" + b2.address() + "\" } ]\n"
                + "   health.passive { consecutive-failures = 0, consecutive-5xx = 3, base-ejection-time = 60s, max-ejection-percent = 100 } }\n"
                + " }\n}\n");
        Map<String, Object> app = json(h.get("/clusters/app"));
        assertTrue(app.get("weights").toString().startsWith("smooth weighted rotation"), app.toString());

        assertTrue(within(Duration.ofSeconds(20), () -> "unhealthy".equals(backendJson("dead").get("state"))));
        Map<String, Object> d = backendJson("dead");
        assertTrue(d.get("stateReason").toString().startsWith("active check failed: "), d.toString());
        java.time.Instant since = java.time.Instant.parse(d.get("stateSince").toString());
        assertFalse(since.isAfter(java.time.Instant.now()), d.toString());
        Map<String, Object> check = (Map<String, Object>) d.get("lastCheck");
        assertEquals(false, check.get("ok"), d.toString());
        assertEquals(d.get("stateReason"), "active check failed: " + check.get("result"));
        java.time.Instant.parse(check.get("at").toString());
        assertEquals(null, d.get("ejectionRemainingMillis"));
        assertTrue(within(Duration.ofSeconds(20), () -> backendJson("b1").get("lastCheck") instanceof Map<?, ?> c && Boolean.TRUE.equals(c.get("ok"))));

        try (RawHttp c = new RawHttp(h.port("flaky"))) {
            for (int i = 0; i < 3; i++) {
                c.send("GET /status?code=503 HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals(503, c.read().status());
            }
        }
        assertTrue(within(Duration.ofSeconds(20), () -> "ejected".equals(flakyBackend().get("state"))));
        Map<String, Object> b2 = flakyBackend();
        assertTrue(b2.get("stateReason").toString().startsWith("ejected: "), b2.toString());
        assertEquals(1L, b2.get("ejections"), b2.toString());
        long left = ((Number) b2.get("ejectionRemainingMillis")).longValue();
        assertTrue(left > 0 && left <= 60_000, b2.toString());
        assertEquals(null, b2.get("lastCheck"), "no active checks in this cluster");
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> flakyBackend() throws Exception {
        return (Map<String, Object>) ((List<Object>) json(h.get("/clusters/flaky")).get("backends")).get(0);
    }

    @Test
    void backendByteCountersCountTheWireHeadersIncluded() throws Exception {
        h.start(config(h.backendsHocon("b1")));
        try (RawHttp c = new RawHttp(h.port("web"))) {
            for (int i = 0; i < 51; i++) {
                c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals(200, c.read().status());
            }
        }
        // bodiless GETs: body-only counters would say 0 sent
        Map<String, Object> b = backendJson("b1");
        assertEquals(b1.rawBytes(), ((Number) b.get("bytesSent")).longValue(), b.toString());
        assertEquals(b1.rawBytesSent(), ((Number) b.get("bytesReceived")).longValue(), b.toString());
        assertTrue(b1.rawBytes() > 51 * "GET / HTTP/1.1\r\n".length(), "the backend saw " + b1.rawBytes());
        PrometheusText m = PrometheusText.parse(h.get("/metrics"));
        assertEquals((double) b1.rawBytes(), m.value("pharos_backend_sent_bytes_total", "cluster", "app", "backend", "b1"));
    }

    @Test
    void statusShowsListenersAndTheLastReload() throws Exception {
        start();
        Map<String, Object> s = json(h.get("/status"));
        assertEquals(null, s.get("lastReload"));
        assertEquals(h.configFile().toAbsolutePath().normalize().toString(), s.get("configFile"));
        assertTrue(s.get("listeners").toString().contains("127.0.0.1:" + h.port("web")), s.toString());
        h.writeConfig(config(h.backendsHocon("b1", "b2")).replace("clusters { app {", "clusters { app { balancer = fastest,"));
        HttpResponse<String> r = h.admin("POST", "/reload", null);
        assertEquals(400, r.statusCode(), r.body());
        Map<String, Object> after = json(h.get("/status"));
        @SuppressWarnings("unchecked")
        Map<String, Object> last = (Map<String, Object>) after.get("lastReload");
        assertEquals("failed", last.get("result"));
        assertTrue(last.get("errors").toString().contains("pharos.clusters.app.balancer"), last.toString());
        try (RawHttp c = new RawHttp(h.port("web"))) {
            assertEquals(200, c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderWhenEarlierOnesWaitOnTheControlThread() throws Exception {
        start();
        StringBuilder requests = new StringBuilder();
        int pairs = 20;
        for (int i = 0; i < pairs; i++) {
            // a reload is answered from the control thread, /healthz at once on the event loop
            requests.append("POST /reload HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
            requests.append("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
        }
        try (RawHttp c = new RawHttp(h.adminPort())) {
            c.send(requests.toString());
            for (int i = 0; i < pairs; i++) {
                RawHttp.Response reload = c.read();
                assertTrue(reload.header("content-type").startsWith("application/json"), "answer " + (2 * i) + " is the reload's: " + reload.bodyText());
                assertEquals(200, reload.status(), reload.bodyText());
                RawHttp.Response healthz = c.read();
                assertEquals("ok", healthz.bodyText().trim(), "answer " + (2 * i + 1) + " is /healthz's");
            }
        }
    }
}
