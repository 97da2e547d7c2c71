package io.pharos.proxy.l7;

import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.config.ReloadResult;
import io.pharos.proxy.testing.ProxyProcess;
import io.pharos.proxy.testing.RawHttp;
import io.pharos.proxy.testing.RuntimeHarness;
import io.pharos.proxy.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.pharos.health.testing.Await.within;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code protocol} changed by reload under load, and Upgrade requests to an h2 cluster. The backend of
 * cluster {@code app} is the proxy's own listener {@code mid} (HTTP/1.1 and h2c with prior knowledge
 * on one port, in front of an HTTP/1.1 origin), so either protocol reaches it; the cluster's
 * {@code h2Streams} counter shows which one was used.
 */
class Http2UpstreamReloadIT {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private RuntimeHarness h;
    private TestBackend origin;
    private int front;
    private int mid;

    @BeforeEach
    void setUp() throws Exception {
        h = new RuntimeHarness();
        origin = h.addBackend("origin");
        front = ProxyProcess.freePort();
        mid = ProxyProcess.freePort();
    }

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    private String config(String protocol) {
        return "pharos {\n workers = 2\n admin { listen = \"127.0.0.1:0\" }\n shutdown { delay = 0s, drain-timeout = 1s }\n"
                + " listeners = [\n"
                + "  { name = front, listen = \"127.0.0.1:" + front + "\", protocol = http, cluster = app }\n"
                + "  { name = mid, listen = \"127.0.0.1:" + mid + "\", protocol = http, cluster = origin }\n ]\n"
                + " clusters {\n"
                + "  app { protocol = " + protocol + "\n backends = [ { name = mid, address = \"127.0.0.1:" + mid + "\" } ] }\n"
                + "  origin { backends = [\n" + h.backendsHocon("origin") + " ] }\n }\n}\n";
    }

    private Backend midBackend() {
        return h.runtime().server().cluster("app").snapshot().member("mid").backend();
    }

    private ReloadResult reload(String hocon) throws Exception {
        h.writeConfig(hocon);
        return h.runtime().reloadAsync().get(30, TimeUnit.SECONDS);
    }

    @Test
    void switchingBetweenHttp1AndH2UnderLoadFailsNoRequest() throws Exception {
        h.start(config("http1"));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger done = new AtomicInteger();
        List<String> errors = Collections.synchronizedList(new ArrayList<>());
        ExecutorService load = Executors.newFixedThreadPool(3);
        try {
            for (int t = 0; t < 3; t++) {
                load.submit(() -> {
                    // bounded: stops when told, after 20 000 requests at the most
                    for (int i = 0; i < 20_000 && !stop.get(); i++) {
                        try {
                            HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front + "/r?i=" + i))
                                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() != 200) {
                                errors.add(r.statusCode() + " " + r.body());
                            }
                        } catch (Exception e) {
                            errors.add(e.toString());
                        }
                        done.incrementAndGet();
                    }
                    return null;
                });
            }
            assertTrue(within(Duration.ofSeconds(60), () -> done.get() >= 100), "load did not start");
            assertEquals(0, midBackend().stats().h2Streams(), "http1 phase used HTTP/2");
            for (String protocol : List.of("h2", "http1", "h2", "http1")) {
                ReloadResult r = reload(config(protocol));
                assertTrue(r.ok(), r.toString());
                int mark = done.get();
                assertTrue(within(Duration.ofSeconds(60), () -> done.get() >= mark + 150), "load stalled after switching to " + protocol);
                long streams = midBackend().stats().h2Streams();
                int mark2 = done.get();
                assertTrue(within(Duration.ofSeconds(60), () -> done.get() >= mark2 + 100), "load stalled on " + protocol);
                long more = midBackend().stats().h2Streams() - streams;
                if (protocol.equals("h2")) {
                    assertTrue(more >= 90, protocol + ": only " + more + " h2 streams for 100 requests");
                } else {
                    assertEquals(0, more, "requests after switching back to http1 went over HTTP/2");
                }
            }
        } finally {
            stop.set(true);
            load.shutdown();
            assertTrue(load.awaitTermination(60, TimeUnit.SECONDS));
        }
        assertEquals(List.of(), errors);
        assertTrue(origin.requests() >= done.get(), "origin saw " + origin.requests() + " of " + done.get());
    }

    @Test
    void theConnectionsOfABackendRemovedByReloadClose() throws Exception {
        h.start(config("h2"));
        try (RawHttp c = new RawHttp(front)) {
            assertEquals(200, c.send("GET /one HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
        }
        Backend old = midBackend();
        assertEquals(1, old.connections().size(), "the HTTP/2 connection stays open for the next streams");
        ReloadResult r = reload(config("h2").replace("{ name = mid, address", "{ name = mid2, address"));
        assertTrue(r.ok(), r.toString());
        assertTrue(within(Duration.ofSeconds(10), () -> old.connections().isEmpty()), "still open: " + old.connections().size());
        try (RawHttp c = new RawHttp(front)) {
            assertEquals(200, c.send("GET /two HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
        }
        assertEquals(1, h.runtime().server().cluster("app").snapshot().member("mid2").backend().stats().h2Streams());
    }

    @Test
    void upgradeRequestsToAnH2ClusterGoOverHttp1() throws Exception {
        h.start(config("h2"));
        try (RawHttp c = new RawHttp(front)) {
            RawHttp.Response plain = c.send("GET /plain HTTP/1.1\r\nHost: t\r\n\r\n").read();
            assertEquals(200, plain.status());
        }
        assertEquals(1, midBackend().stats().h2Streams());
        try (RawHttp c = new RawHttp(front)) {
            // the origin does not speak WebSocket and answers 200: what matters is the way there
            RawHttp.Response r = c.send("GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").read();
            assertEquals(200, r.status());
        }
        assertEquals(1, midBackend().stats().h2Streams(), "the Upgrade request went over HTTP/2");
        assertTrue(origin.seen().stream().anyMatch(q -> q.uri().equals("/ws")));
    }
}
