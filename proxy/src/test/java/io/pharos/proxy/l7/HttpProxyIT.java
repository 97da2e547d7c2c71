package io.pharos.proxy.l7;

import io.pharos.proxy.testing.ProxyHarness;
import io.pharos.proxy.testing.RawHttp;
import io.pharos.proxy.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The L7 proxy over real loopback sockets, with real backends and a real HTTP client. */
class HttpProxyIT {
    private ProxyHarness h;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void setUp() {
        h = new ProxyHarness();
    }

    @AfterEach
    void tearDown() {
        h.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(h.url(path))).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void getAndPostReachTheBackends() throws Exception {
        h.addBackend("b1");
        h.addBackend("b2");
        h.start(h.simpleConfig("", ""));
        Set<String> names = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = get("/");
            assertEquals(200, r.statusCode());
            names.add(r.body());
        }
        assertEquals(Set.of("b1", "b2"), names, "round robin reaches both backends");

        HttpResponse<String> post = client.send(HttpRequest.newBuilder(URI.create(h.url("/sink")))
                .POST(HttpRequest.BodyPublishers.ofString("hello world")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, post.statusCode());
        assertTrue(post.body().startsWith("bytes=11 "), post.body());
    }

    @Test
    void keepAliveReusesOneBackendConnection() throws Exception {
        TestBackend b = h.addBackend("b1");
        h.start(h.simpleConfig("", "workers = 1"));
        try (RawHttp raw = new RawHttp(h.port())) {
            for (int i = 0; i < 50; i++) {
                raw.send("GET /n" + i + " HTTP/1.1\r\nHost: test\r\n\r\n");
                assertEquals(200, raw.read().status());
            }
        }
        assertEquals(50, b.requests());
        assertEquals(1, b.connections(), "one pooled backend connection served every request");
        assertEquals(1, h.server().cluster("app").snapshot().member("b1").backend().stats().connectionsOpened());
    }

    @Test
    void chunkedRequestAndResponseStreamThrough() throws Exception {
        h.addBackend("b1");
        h.start(h.simpleConfig("", ""));
        try (RawHttp raw = new RawHttp(h.port())) {
            raw.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
            RawHttp.Response r = raw.read();
            assertEquals(200, r.status());
            assertEquals("chunked", r.header("transfer-encoding"));
            assertEquals("hello world", r.bodyText());
            // the connection stays usable
            raw.send("GET /bytes?n=100000&chunked=1 HTTP/1.1\r\nHost: t\r\n\r\n");
            RawHttp.Response big = raw.read();
            assertEquals(100_000, big.body().length);
            for (int i = 0; i < big.body().length; i++) {
                if (big.body()[i] != TestBackend.pattern(i)) {
                    throw new AssertionError("byte " + i + " differs");
                }
            }
        }
    }

    @Test
    void refusedBackendGives502() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        h.start("pharos { listeners = [ { name = web, listen = \"127.0.0.1:0\", cluster = app } ]\n"
                + " clusters { app { backends = [ { name = gone, address = \"127.0.0.1:" + closedPort + "\" } ] } } }");
        HttpResponse<String> r = get("/");
        assertEquals(502, r.statusCode());
        assertTrue(r.body().contains("gone"), r.body());
    }

    @Test
    void noUsableBackendGives503WithRetryAfter() throws Exception {
        h.addBackend("b1");
        h.start(h.simpleConfig("", ""));
        h.server().cluster("app").setDraining("b1", true);
        HttpResponse<String> r = get("/");
        assertEquals(503, r.statusCode());
        assertEquals("1", r.headers().firstValue("retry-after").orElse(null));
        h.server().cluster("app").setDraining("b1", false);
        assertEquals(200, get("/").statusCode());
    }

    @Test
    void slowBackendGives504() throws Exception {
        h.addBackend("b1");
        h.start(h.simpleConfig("timeouts { request = 300ms }", ""));
        HttpResponse<String> r = get("/slow?ms=3000");
        assertEquals(504, r.statusCode());
        assertEquals(200, get("/slow?ms=10").statusCode());
    }

    @Test
    void hopByHopHeadersAreRemovedAndForwardedHeadersAppended() throws Exception {
        h.addBackend("b1");
        h.start(h.simpleConfig("", ""));
        try (RawHttp raw = new RawHttp(h.port())) {
            raw.send("GET /headers HTTP/1.1\r\nHost: app.example\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\n"
                    + "Keep-Alive: timeout=5\r\nTE: trailers\r\nTrailer: X-T\r\nUpgrade: foo\r\nProxy-Authorization: Basic x\r\n"
                    + "Proxy-Connection: keep-alive\r\nX-Forwarded-For: 10.9.8.7\r\nX-Keep: yes\r\n\r\n");
            RawHttp.Response r = raw.read();
            assertEquals(200, r.status());
            String seen = r.bodyText();
            for (String gone : new String[] {"connection:", "x-secret:", "keep-alive:", "te:", "trailer:", "upgrade:",
                    "proxy-authorization:", "proxy-connection:"}) {
                assertFalse(seen.lines().anyMatch(l -> l.startsWith(gone)), gone + " must not reach the backend:\n" + seen);
            }
            assertTrue(seen.contains("x-keep: yes"), seen);
            assertTrue(seen.contains("x-forwarded-for: 10.9.8.7, 127.0.0.1"), seen);
            assertTrue(seen.contains("x-forwarded-proto: http"), seen);
            assertTrue(seen.contains("x-forwarded-host: app.example"), seen);
        }
    }

    @Test
    void headAndBodylessStatusesAreFramedRight() throws Exception {
        h.addBackend("b1");
        h.start(h.simpleConfig("", ""));
        try (RawHttp raw = new RawHttp(h.port())) {
            raw.send("HEAD /bytes?n=1000 HTTP/1.1\r\nHost: t\r\n\r\n");
            RawHttp.Response head = raw.read(true);
            assertEquals(200, head.status());
            assertEquals("1000", head.header("content-length"));
            raw.send("HEAD /bytes?n=1000&chunked=1 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, raw.read(true).status());
            raw.send("GET /status?code=204 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(204, raw.read().status());
            raw.send("GET /status?code=304 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(304, raw.read().status());
            // had any of those leaked a body, this response would be garbage
            raw.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            RawHttp.Response r = raw.read();
            assertEquals(200, r.status());
            assertEquals("b1", r.bodyText());
        }
    }

    @Test
    void closeDelimitedResponseIsRechunkedForKeepAliveClients() throws Exception {
        h.addBackend("b1");
        h.start(h.simpleConfig("", ""));
        try (RawHttp raw = new RawHttp(h.port())) {
            raw.send("GET /close-delimited?n=5000 HTTP/1.1\r\nHost: t\r\n\r\n");
            RawHttp.Response r = raw.read();
            assertEquals("chunked", r.header("transfer-encoding"));
            assertEquals(5000, r.body().length);
            raw.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals("b1", raw.read().bodyText());
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        h.addBackend("b1");
        h.start(h.simpleConfig("", ""));
        try (RawHttp raw = new RawHttp(h.port())) {
            raw.send("GET /slow?ms=200 HTTP/1.1\r\nHost: t\r\n\r\nGET /status?code=201 HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
            assertEquals(200, raw.read().status());
            assertEquals(201, raw.read().status());
            RawHttp.Response sink = raw.read();
            assertTrue(sink.bodyText().startsWith("bytes=3 "), sink.bodyText());
        }
    }

    @Test
    void expectContinueIsPassedThrough() throws Exception {
        h.addBackend("b1");
        h.start(h.simpleConfig("", ""));
        try (RawHttp raw = new RawHttp(h.port())) {
            raw.send("POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
            RawHttp.Response cont = raw.read();
            assertEquals(100, cont.status());
            raw.send("abcd");
            RawHttp.Response r = raw.read();
            assertEquals(200, r.status());
            assertTrue(r.bodyText().startsWith("bytes=4 "), r.bodyText());
        }
    }

    @Test
    void http10ClientGetsItsConnectionClosedUnlessKeepAlive() throws Exception {
        h.addBackend("b1");
        h.start(h.simpleConfig("", ""));
        try (RawHttp raw = new RawHttp(h.port())) {
            raw.send("GET / HTTP/1.0\r\n\r\n");
            RawHttp.Response r = raw.read();
            assertEquals(200, r.status());
            assertEquals("close", r.header("connection"));
            assertTrue(raw.closedByPeer());
        }
        try (RawHttp raw = new RawHttp(h.port())) {
            raw.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            RawHttp.Response r = raw.read();
            assertEquals("keep-alive", r.header("connection"));
            raw.send("GET / HTTP/1.0\r\n\r\n");
            assertEquals(200, raw.read().status());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
            "POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            "POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "POST /sink HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "POST /sink HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\nabc",
            "POST /sink HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "GET / HTTP/1.1\nHost: t\n\n",
            "GET / HTTP/1.1\r\nHost: t\nX-A: b\r\n\r\n",
            "GET / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n",
            "GET nothing HTTP/1.1\r\nHost: t\r\n\r\n",
    })
    void malformedRequestsGet400AndNeverReachTheBackend(String request) throws Exception {
        TestBackend b = h.addBackend("b1");
        h.start(h.simpleConfig("", ""));
        try (RawHttp raw = new RawHttp(h.port())) {
            raw.send(request);
            RawHttp.Response r = raw.read();
            assertEquals(400, r.status(), r.bodyText());
            assertEquals("close", r.header("connection"));
            assertTrue(raw.closedByPeer(), "connection closed after the 400");
        }
        assertEquals(0, b.rawBytes(), "no byte reached the backend");
        assertEquals(0, b.connections());
    }

    @Test
    void oversizedRequestLineAndHeadersAreRefused() throws Exception {
        TestBackend b = h.addBackend("b1");
        h.start(h.simpleConfig("", "http { max-request-line = 1k, max-header-size = 2k }"));
        try (RawHttp raw = new RawHttp(h.port())) {
            raw.send("GET /" + "a".repeat(2000) + " HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(414, raw.read().status());
            assertTrue(raw.closedByPeer());
        }
        try (RawHttp raw = new RawHttp(h.port())) {
            raw.send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + "b".repeat(3000) + "\r\n\r\n");
            assertEquals(431, raw.read().status());
            assertTrue(raw.closedByPeer());
        }
        assertEquals(0, b.rawBytes());
    }

    @Test
    void slowLorisIsCutOffByTheHeaderReadTimeout() throws Exception {
        TestBackend b = h.addBackend("b1");
        h.start(h.simpleConfig("", "http { header-read-timeout = 300ms }"));
        try (RawHttp raw = new RawHttp(h.port())) {
            raw.send("GET / HTTP/1.1\r\nHost: t\r\n");
            Thread.sleep(100);
            raw.send("X-A: 1\r\n");
            RawHttp.Response r = raw.read();
            assertEquals(408, r.status());
            assertTrue(raw.closedByPeer());
        }
        assertEquals(0, b.requests());
        // a well-behaved client on a kept-alive connection is not cut between requests by that timer
        try (RawHttp raw = new RawHttp(h.port())) {
            raw.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, raw.read().status());
            Thread.sleep(500);
            raw.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, raw.read().status());
        }
    }

    @Test
    void idleClientConnectionsAreClosed() throws Exception {
        h.addBackend("b1");
        h.start(h.simpleConfig("", "http { idle-timeout = 300ms }"));
        try (RawHttp raw = new RawHttp(h.port())) {
            raw.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, raw.read().status());
            assertTrue(raw.closedByPeer(), "closed after the idle timeout");
        }
    }

    @Test
    void backendResetBeforeAnswerGives502() throws Exception {
        h.addBackend("b1");
        h.start(h.simpleConfig("", ""));
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(h.url("/reset")))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(502, r.statusCode());
        assertNull(r.headers().firstValue("x-backend").orElse(null));
    }
}
