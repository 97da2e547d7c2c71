package io.pharos.proxy.l7;

import io.netty.channel.EventLoopGroup;
import io.pharos.health.testing.Await;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.testing.Http2TestBackend;
import io.pharos.proxy.testing.LeakLog;
import io.pharos.proxy.testing.RawHttp;
import io.pharos.proxy.testing.TestBackend;
import io.pharos.proxy.tls.TestPki;
import io.pharos.proxy.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static io.pharos.proxy.l7.ScriptedHooks.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exchange seam with real sockets on loopback: an HTTP/1.1 client (raw socket) and an HTTP/2 client
 * (curl, prior knowledge) through a listener whose {@link ScriptedHooks} refuse requests before the
 * backend, refuse a body midway, add a header, and hold responses that the test then releases or
 * refuses, from the test thread (not the event loop), or that are decided at once. Every test ends
 * with no {@code LEAK:} report from Netty's paranoid leak detector.
 */
class ExchangeHookIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final ScriptedHooks hooks = new ScriptedHooks();
    private final EventLoopGroup backendGroup = Transport.best().newGroup(1, "hook-backends");
    private final List<HookedProxy> proxies = new ArrayList<>();
    private LeakLog leaks;
    private TestBackend backend;
    private HookedProxy proxy;

    @BeforeEach
    void setUp() throws Exception {
        leaks = new LeakLog();
        backend = TestBackend.start("b1", backendGroup);
        proxy = start("");
    }

    private HookedProxy start(String pharosExtra) throws Exception {
        HookedProxy p = new HookedProxy(pharosExtra, "backends = [ { name = b1, address = \"" + backend.address() + "\" } ]", hooks);
        proxies.add(p);
        return p;
    }

    @AfterEach
    void tearDown() {
        proxies.forEach(HookedProxy::close);
        backend.close();
        backendGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        try {
            assertEquals(List.of(), leaks.reports(), "Netty leak reports");
        } finally {
            leaks.close();
        }
    }

    private Backend b1() {
        return proxy.cluster.snapshot().member("b1").backend();
    }

    private ScriptedHooks.Held nextHold() throws InterruptedException {
        ScriptedHooks.Held h = hooks.holds.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(h, "a response was held");
        return h;
    }

    private String nextEnd() throws InterruptedException {
        String end = hooks.ends.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(end, "the hooked exchange ended");
        return end;
    }

    private static String get(String path, String script) {
        return "GET " + path + " HTTP/1.1\r\nHost: t\r\n" + (script == null ? "" : header(script)) + "\r\n";
    }

    // ------------------------------------------------------------------ HTTP/1.1

    @Test
    void aRefusalBeforeTheBackendIs503WithRetryAfterAndTheConnectionServesOn() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            RawHttp.Response r = c.send(get("/", "admit=503")).read();
            assertEquals(503, r.status());
            assertEquals("7", r.header("retry-after"));
            assertTrue(r.bodyText().contains("journal full"), r.bodyText());
            assertEquals(0, backend.requests(), "the backend saw nothing");
            assertEquals("503 completed", nextEnd());
            assertEquals("b1", c.send(get("/", null)).read().bodyText());
        }
    }

    @Test
    void aContentLengthOverTheLimitIs413BeforeTheBackendAndCloses() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            RawHttp.Response r = c.send("POST /sink HTTP/1.1\r\nHost: t\r\n" + header("max-length=10") + "Content-Length: 20\r\n\r\n"
                    + "01234567890123456789").read();
            assertEquals(413, r.status());
            assertEquals("close", r.header("connection"));
            assertTrue(c.closedByPeer());
        }
        assertEquals(0, backend.requests());
    }

    @Test
    void aChunkedBodyOverTheLimitIsRefusedMidwayAndTheBackendNeverGetsTheWholeRequest() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send("POST /sink HTTP/1.1\r\nHost: t\r\n" + header("max-body=10") + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
            Await.until(WAIT, "the backend got the head and the first piece", () -> backend.requests() == 1);
            RawHttp.Response r = c.send("a\r\n0123456789\r\n0\r\n\r\n").read();
            assertEquals(413, r.status());
            assertTrue(c.closedByPeer());
        }
        Await.until(WAIT, "the backend connection closed", () -> backend.openConnections() == 0);
        assertEquals(0, backend.wholeRequests(), "no complete request reached the backend");
        assertEquals(0, b1().stats().failures(), "not a backend failure");
        assertEquals(0, b1().inFlight());
        assertEquals("413 completed", nextEnd());
    }

    @Test
    void theHeaderAHookAddsReachesTheBackend() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            String seen = c.send(get("/headers", "on")).read().bodyText();
            assertTrue(seen.contains("idempotency-key: generated-1\n"), seen);
        }
    }

    @Test
    void aWholeResponseHeldIsWrittenAtOnceOnReleaseAndBothConnectionsAreReused() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send(get("/", "hold=wait"));
            ScriptedHooks.Held h = nextHold();
            assertEquals(200, h.status());
            assertEquals("b1", h.backend());
            assertTrue(hooks.ends.isEmpty(), "the exchange waits");
            h.decision().complete(null);
            RawHttp.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals("b1", r.bodyText());
            assertEquals("200 completed", nextEnd());
            assertEquals("b1", c.send(get("/", null)).read().bodyText());
        }
        assertEquals(1, backend.connections(), "the backend connection went back to the pool and was reused");
    }

    @Test
    void aBackendThatClosesAfterItsHeldResponseIsReleasedWhole() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send(get("/close-delimited?n=3000", "hold=wait"));
            ScriptedHooks.Held h = nextHold();
            Await.until(WAIT, "the backend closed its connection", () -> backend.openConnections() == 0);
            h.decision().complete(null);
            RawHttp.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals(3000, r.body().length);
            assertEquals("200 completed", nextEnd());
            assertEquals("b1", c.send(get("/", null)).read().bodyText(), "the client connection stays");
        }
        assertEquals(0, b1().stats().failures());
    }

    @Test
    void aLargeHeldResponseStopsTheBackendAndIsRelayedWholeOnRelease() throws Exception {
        int n = 4 * 1024 * 1024;
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send(get("/bytes?n=" + n, "hold=wait"));
            ScriptedHooks.Held h = nextHold();
            Await.steady(WAIT, Duration.ofMillis(200), "the backend's streaming", backend::streamedBytes);
            h.decision().complete(null);
            RawHttp.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals(n, r.body().length);
            for (int i = 0; i < n; i++) {
                if (r.body()[i] != TestBackend.pattern(i)) {
                    throw new AssertionError("byte " + i + " differs");
                }
            }
        }
        assertEquals("200 completed", nextEnd());
    }

    @Test
    void whileHeldTheBackendIsNotReadSoItStopsSendingThenARefusalClosesIt() throws Exception {
        long n = 256L * 1024 * 1024;
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send(get("/bytes?n=" + n, "hold=wait"));
            ScriptedHooks.Held h = nextHold();
            long streamed = Await.steady(WAIT, Duration.ofMillis(300), "the backend's streaming", backend::streamedBytes);
            assertTrue(streamed < n / 4, "backpressure: the backend stopped after " + streamed + " of " + n + " bytes");
            h.decision().complete(Refusal.unavailable("peer did not confirm", 3));
            RawHttp.Response r = c.read();
            assertEquals(503, r.status());
            assertEquals("3", r.header("retry-after"));
        }
        Await.until(WAIT, "the backend connection closed", () -> backend.openConnections() == 0);
        assertEquals("503 completed", nextEnd());
        assertEquals(0, b1().stats().failures());
    }

    @Test
    void aRefusedHeldResponseLeavesAPipelinedKeepAliveClientServedOnANewBackendConnection() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send(get("/", "hold=wait") + get("/", null));
            ScriptedHooks.Held h = nextHold();
            h.decision().complete(Refusal.unavailable("journal fsync failed", 2));
            RawHttp.Response refused = c.read();
            assertEquals(503, refused.status());
            assertEquals("2", refused.header("retry-after"));
            assertFalse("close".equals(refused.header("connection")), "keep-alive stays");
            RawHttp.Response next = c.read();
            assertEquals(200, next.status());
            assertEquals("b1", next.bodyText());
        }
        assertEquals(2, backend.connections(), "the refused response's backend connection was closed, not reused");
        assertEquals(2, backend.requests());
    }

    @Test
    void aClientThatLeavesWhileHeldEndsTheExchangeAndTheLateDecisionIsIgnored() throws Exception {
        ScriptedHooks.Held h;
        try (RawHttp c = new RawHttp(proxy.port())) {
            c.send(get("/bytes?n=1000000", "hold=wait"));
            h = nextHold();
            Await.steady(WAIT, Duration.ofMillis(100), "the backend's streaming", backend::streamedBytes);
        }
        assertEquals("0 cut short", nextEnd());
        Await.until(WAIT, "the backend connection closed", () -> backend.openConnections() == 0);
        h.decision().complete(null);
        try (RawHttp c = new RawHttp(proxy.port())) {
            assertEquals("b1", c.send(get("/", null)).read().bodyText());
        }
        assertTrue(hooks.ends.isEmpty(), "no second end");
    }

    @Test
    void aDecisionAfterTheIdleTimeoutClosedTheExchangeIsIgnored() throws Exception {
        HookedProxy idle = start("http { idle-timeout = 1s }");
        ScriptedHooks.Held h;
        try (RawHttp c = new RawHttp(idle.port())) {
            c.send(get("/", "hold=wait"));
            h = nextHold();
            assertTrue(c.closedByPeer(), "the idle timeout closed the held exchange's connection");
        }
        assertEquals("0 cut short", nextEnd());
        h.decision().complete(null);
        try (RawHttp c = new RawHttp(idle.port())) {
            assertEquals("b1", c.send(get("/", null)).read().bodyText());
        }
    }

    @Test
    void decisionsMadeAtOnceReleaseOrRefuseOnTheSameConnection() throws Exception {
        try (RawHttp c = new RawHttp(proxy.port())) {
            assertEquals("b1", c.send(get("/", "hold=now")).read().bodyText());
            RawHttp.Response refused = c.send(get("/", "hold=refuse")).read();
            assertEquals(503, refused.status());
            assertEquals("2", refused.header("retry-after"));
            RawHttp.Response failed = c.send(get("/", "hold=fail")).read();
            assertEquals(503, failed.status());
            assertTrue(failed.bodyText().contains("journal writer stopped"), failed.bodyText());
            assertEquals("b1", c.send(get("/", null)).read().bodyText());
        }
        assertEquals(List.of("200 completed", "503 completed", "503 completed"), List.of(nextEnd(), nextEnd(), nextEnd()));
    }

    @Test
    void aDecisionCompletedOnAnotherThreadHopsBackToTheLoop() throws Exception {
        try (Socket s = new Socket("127.0.0.1", proxy.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(get("/", "hold=wait").getBytes(StandardCharsets.US_ASCII));
            ScriptedHooks.Held h = nextHold();
            Thread t = new Thread(() -> h.decision().complete(null), "foreign-decider");
            t.start();
            t.join();
            InputStream in = s.getInputStream();
            String head = new String(in.readNBytes(15), StandardCharsets.US_ASCII);
            assertEquals("HTTP/1.1 200 OK", head);
        }
        assertEquals("200 completed", nextEnd());
    }

    @Test
    void heldResponsesFromAnHttp2BackendReleasedAndRefused() throws Exception {
        try (Http2TestBackend h2 = Http2TestBackend.start("h2", backendGroup, 100)) {
            HookedProxy p = new HookedProxy("", "protocol = h2\n backends = [ { name = h2, address = \"" + h2.address() + "\" } ]", hooks);
            proxies.add(p);
            try (RawHttp c = new RawHttp(p.port())) {
                c.send(get("/a", "hold=wait"));
                nextHold().decision().complete(null);
                RawHttp.Response r = c.read();
                assertEquals(200, r.status());
                assertTrue(r.bodyText().startsWith("h2 conn=1 path=/a"), r.bodyText());
                assertEquals("200 completed", nextEnd());

                c.send(get("/b", "hold=wait"));
                nextHold().decision().complete(Refusal.unavailable("peer did not confirm", 5));
                RawHttp.Response refused = c.read();
                assertEquals(503, refused.status());
                assertEquals("5", refused.header("retry-after"));
                assertEquals("503 completed", nextEnd());

                assertTrue(c.send(get("/c", null)).read().bodyText().startsWith("h2 conn=1 path=/c"),
                        "the refused stream was reset, its connection carries on");
            }
            assertEquals(1, h2.connections());
        }
    }

    // ------------------------------------------------------------------ HTTP/2 streams (curl, prior knowledge)

    /** curl over h2c with prior knowledge: the response headers, then {@code code=N}. */
    private String curl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "30", "--http2-prior-knowledge", "-D", "-",
                "-o", "/dev/null", "-w", "code=%{http_code}"));
        cmd.addAll(List.of(args));
        TestPki.Result r = TestPki.run(cmd, 60);
        assertEquals(0, r.exit(), r.output());
        return r.output();
    }

    private String url(String path) {
        return "http://127.0.0.1:" + proxy.port() + path;
    }

    @Test
    void http2ARefusalBeforeTheBackend() throws Exception {
        String out = curl("-H", "x-hook: admit=503", url("/"));
        assertTrue(out.startsWith("HTTP/2 503") && out.contains("retry-after: 7") && out.endsWith("code=503"), out);
        assertEquals(0, backend.requests());
    }

    @Test
    void http2ABodyRefusedMidwayNeverReachesTheBackendWhole() throws Exception {
        Path body = dir.resolve("body.bin");
        Files.write(body, new byte[256 * 1024]);
        String out = curl("-H", "x-hook: max-body=65536", "--data-binary", "@" + body, url("/sink"));
        assertTrue(out.startsWith("HTTP/2 413") && out.endsWith("code=413"), out);
        Await.until(WAIT, "the backend connection closed", () -> backend.openConnections() == 0);
        assertEquals(0, backend.wholeRequests());
        assertEquals(0, b1().stats().failures());
    }

    @Test
    void http2HeldResponsesReleasedAndRefused() throws Exception {
        ExecutorService curls = Executors.newSingleThreadExecutor();
        try {
            CompletableFuture<String> released = CompletableFuture.supplyAsync(() -> uncheckedCurl("-H", "x-hook: hold=wait", url("/headers")), curls);
            ScriptedHooks.Held h = nextHold();
            assertFalse(released.isDone());
            h.decision().complete(null);
            String out = released.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertTrue(out.startsWith("HTTP/2 200") && out.endsWith("code=200"), out);
            assertEquals("200 completed", nextEnd());

            CompletableFuture<String> refused = CompletableFuture.supplyAsync(() -> uncheckedCurl("-H", "x-hook: hold=wait", url("/")), curls);
            nextHold().decision().complete(Refusal.unavailable("peer did not confirm", 4));
            out = refused.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertTrue(out.startsWith("HTTP/2 503") && out.contains("retry-after: 4") && out.endsWith("code=503"), out);
            assertEquals("503 completed", nextEnd());
        } finally {
            curls.shutdownNow();
            assertTrue(curls.awaitTermination(60, TimeUnit.SECONDS));
        }
    }

    private String uncheckedCurl(String... args) {
        try {
            return curl(args);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
