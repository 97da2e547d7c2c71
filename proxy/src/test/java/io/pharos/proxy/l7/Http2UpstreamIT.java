package io.pharos.proxy.l7;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.pharos.health.testing.Await;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.testing.Http2TestBackend;
import io.pharos.proxy.testing.ProxyHarness;
import io.pharos.proxy.testing.ProxyProcess;
import io.pharos.proxy.tls.TestPki;
import io.pharos.proxy.transport.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP/2 to backends ({@code protocol = h2}) with real sockets: HTTP/1.1 and HTTP/2 clients through the
 * proxy to Netty HTTP/2 backends, streams multiplexed over few connections, SETTINGS_MAX_CONCURRENT_STREAMS
 * respected, GOAWAY and killed backends retried elsewhere, TLS with ALPN, large bodies streamed.
 */
class Http2UpstreamIT {
    @TempDir
    static Path dir;

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private static String config(String clusterExtra, Http2TestBackend... backends) {
        StringBuilder sb = new StringBuilder();
        for (Http2TestBackend b : backends) {
            sb.append("{ name = ").append(b.name()).append(", address = \"").append(b.address()).append("\" }\n");
        }
        return "pharos {\n workers = 2\n"
                + " listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app } ]\n"
                + " clusters { app {\n protocol = h2\n backends = [\n" + sb + " ]\n" + clusterExtra + "\n } }\n}\n";
    }

    private static Backend backend(ProxyHarness h, String name) {
        return h.server().cluster("app").snapshot().member(name).backend();
    }

    /** A number member of the first backend in a {@code /clusters/...} document. */
    private static long counter(String json, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + name + "\":(\\d+)").matcher(json);
        assertTrue(m.find(), name + " in " + json);
        return Long.parseLong(m.group(1));
    }

    private static HttpResponse<byte[]> send(HttpRequest req) throws Exception {
        return CLIENT.send(req, HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void concurrentHttp1RequestsAreMultiplexedOverFewConnections() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            Http2TestBackend b1 = Http2TestBackend.start("b1", h.backendGroup(), 0);
            try {
                h.start(config("", b1));
                int n = 200;
                List<byte[]> bodies = new ArrayList<>();
                List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
                Random rnd = new Random(1);
                for (int i = 0; i < n; i++) {
                    byte[] body = new byte[1 + rnd.nextInt(64 * 1024)];
                    rnd.nextBytes(body);
                    bodies.add(body);
                    HttpRequest req = HttpRequest.newBuilder(URI.create(h.url("/echo?i=" + i)))
                            .timeout(Duration.ofSeconds(60))
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                    calls.add(CLIENT.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()));
                }
                for (int i = 0; i < n; i++) {
                    HttpResponse<byte[]> r = calls.get(i).get(90, TimeUnit.SECONDS);
                    assertEquals(200, r.statusCode(), "request " + i);
                    assertArrayEquals(bodies.get(i), r.body(), "request " + i);
                    assertEquals("/echo?i=" + i, r.headers().firstValue("x-path").orElseThrow());
                    assertEquals("http", r.headers().firstValue("x-scheme").orElseThrow());
                    assertEquals("127.0.0.1:" + h.port(), r.headers().firstValue("x-authority").orElseThrow());
                }
                assertEquals(n, b1.streams());
                // two event loops, a connection or two each: the 200 streams shared them
                assertTrue(b1.connections() <= 4, "backend connections: " + b1.connections());
                Backend b = backend(h, "b1");
                assertEquals(n, b.stats().h2Streams());
                assertEquals(b1.connections(), b.stats().connectionsOpened());
                assertTrue(b.connections().size() >= 1 && b.connections().size() <= b1.connections(), "open: " + b.connections().size());
                assertEquals(0, b.stats().failures());
                // request headers arrived as HTTP/2 demands: no connection-specific fields
                for (var hs : b1.seen()) {
                    for (String banned : List.of("connection", "keep-alive", "transfer-encoding", "upgrade", "host", "proxy-connection")) {
                        assertTrue(!hs.contains(banned), banned + " sent: " + hs);
                    }
                    assertEquals("POST", hs.method().toString());
                }
            } finally {
                b1.close();
            }
        }
    }

    @Test
    void http2ClientsThroughTheProxyToAnHttp2Backend() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            Http2TestBackend b1 = Http2TestBackend.start("b1", h.backendGroup(), 0);
            try {
                h.start(config("", b1));
                TestPki.Result load = TestPki.run(List.of("h2load", "-n", "500", "-c", "2", "-m", "50", h.url("/h2load")), 120);
                assertTrue(load.output().contains("Application protocol: h2c"), load.output());
                assertTrue(load.output().contains("500 succeeded, 0 failed"), load.output());
                assertTrue(load.output().contains("status codes: 500 2xx"), load.output());
                assertTrue(b1.connections() <= 4, "backend connections: " + b1.connections());

                byte[] body = new byte[1024 * 1024 + 3];
                new Random(2).nextBytes(body);
                Path in = dir.resolve("h2-in.bin");
                Path out = dir.resolve("h2-out.bin");
                Files.write(in, body);
                TestPki.Result echo = TestPki.run(List.of("curl", "-sS", "--max-time", "60", "--http2-prior-knowledge",
                        "--data-binary", "@" + in, "-o", out.toString(), "-w", "%{http_code} %{http_version}", h.url("/echo")), 90);
                assertEquals("200 2", echo.output().trim());
                assertArrayEquals(body, Files.readAllBytes(out));
            } finally {
                b1.close();
            }
        }
    }

    @Test
    void largeBodiesStreamBothWaysThroughAProxyWithABoundedHeap() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            Http2TestBackend b1 = Http2TestBackend.start("b1", h.backendGroup(), 0);
            try {
                int port = ProxyProcess.freePort();
                int admin = ProxyProcess.freePort();
                Path conf = dir.resolve("large.conf");
                Files.writeString(conf, "pharos { workers = 1\n admin { listen = \"127.0.0.1:" + admin + "\" }\n"
                        + " listeners = [ { name = web, listen = \"127.0.0.1:" + port + "\", protocol = http, cluster = app } ]\n"
                        + " clusters { app { protocol = h2, timeouts { request = 60s }\n backends = [ { name = b1, address = \""
                        + b1.address() + "\" } ] } } }\n");
                // 64 MiB each way through a proxy whose heap (and so direct memory) is 64 MiB: it cannot hold the body
                int size = 64 << 20;
                byte[] body = new byte[size];
                new Random(32).nextBytes(body);
                Path in = dir.resolve("large-in.bin");
                Path out = dir.resolve("large-out.bin");
                Files.write(in, body);
                CRC32 sent = new CRC32();
                sent.update(body);
                body = null;
                try (ProxyProcess proxy = ProxyProcess.start(List.of("-Xmx64m", "-XX:+ExitOnOutOfMemoryError",
                        "-Dio.netty.leakDetectionLevel=paranoid"), "proxy", "-c", conf.toString())) {
                    proxy.awaitPort(port, Duration.ofSeconds(30));
                    // curl reads the echo while it sends, as a streaming client must
                    TestPki.Result echo = TestPki.run(List.of("curl", "-sS", "--max-time", "150", "--http1.1",
                            "--data-binary", "@" + in, "-o", out.toString(), "-w", "%{http_code}",
                            "http://127.0.0.1:" + port + "/echo"), 180);
                    assertEquals("200", echo.output().trim());
                    assertEquals(size, Files.size(out));
                    CRC32 got = new CRC32();
                    try (InputStream r = Files.newInputStream(out)) {
                        byte[] buf = new byte[1 << 16];
                        int k;
                        while ((k = r.read(buf)) > 0) {
                            got.update(buf, 0, k);
                        }
                    }
                    assertEquals(sent.getValue(), got.getValue());
                    assertTrue(proxy.isAlive(), "proxy survived with -Xmx64m:\n" + proxy.output());
                    HttpResponse<String> clusters = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/clusters/app"))
                            .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
                    assertTrue(clusters.body().contains("\"h2Streams\":1,"), clusters.body());
                    assertTrue(clusters.body().contains("\"openConnections\":1,"), clusters.body());
                    // bytes on the wire: the body plus HTTP/2 framing (preface, SETTINGS, HEADERS, DATA frame heads)
                    long sentBytes = counter(clusters.body(), "bytesSent");
                    long receivedBytes = counter(clusters.body(), "bytesReceived");
                    assertTrue(sentBytes > size && sentBytes < size + size / 100, clusters.body());
                    assertTrue(receivedBytes > size && receivedBytes < size + size / 100, clusters.body());
                    assertTrue(!proxy.output().contains("LEAK"), proxy.output());
                }
            } finally {
                b1.close();
            }
        }
    }

    @Test
    void aClientThatStopsReadingDoesNotStallTheOtherStreamsOfItsConnection() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            Http2TestBackend b1 = Http2TestBackend.start("b1", h.backendGroup(), 0);
            AtomicLong written = new AtomicLong();
            Thread writer = null;
            try (Socket stalled = new Socket()) {
                h.start(config("", b1).replace("workers = 2", "workers = 1"));
                stalled.setReceiveBufferSize(16 * 1024);
                stalled.connect(new InetSocketAddress("127.0.0.1", h.port()));
                long size = 64L << 20;
                OutputStream out = stalled.getOutputStream();
                out.write(("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + size + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                writer = new Thread(() -> {
                    byte[] piece = new byte[64 * 1024];
                    try {
                        for (long off = 0; off < size; off += piece.length) {
                            out.write(piece);
                            written.addAndGet(piece.length);
                        }
                    } catch (Exception e) {
                        // the socket is closed at the end of the test
                    }
                }, "stalled-writer");
                writer.setDaemon(true);
                writer.start();
                // the echo nobody reads fills the sockets, then the stream's window: the writer blocks
                Await.until(Duration.ofSeconds(60), "the client to start writing", () -> written.get() > 0);
                Await.steady(Duration.ofSeconds(60), Duration.ofSeconds(1), "the client's written bytes (a stall)", written::get);
                assertTrue(written.get() < size, "the whole body went through: " + written.get());
                // the stalled stream holds at most its own 64 KiB of the proxy's connection window, which the proxy
                // tops up once half of it is used: megabytes stay free for the other streams (64 KiB minus the stalled
                // stream's share, about nothing, with the default connection window)
                List<Integer> windows = b1.connectionSendWindows();
                assertEquals(1, windows.size());
                assertTrue(windows.get(0) >= 2 << 20, "connection window left for the other streams: " + windows.get(0));
                for (int i = 0; i < 20; i++) {
                    HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create(h.url("/other?i=" + i)))
                            .POST(HttpRequest.BodyPublishers.ofString("x".repeat(1000))).timeout(Duration.ofSeconds(30)).build());
                    assertEquals(200, r.statusCode());
                    assertTrue(new String(r.body()).endsWith("bytes=1000"), new String(r.body()));
                }
                assertEquals(1, b1.connections(), "the other streams shared the stalled stream's connection");
            } finally {
                if (writer != null) {
                    writer.interrupt();
                }
                b1.close();
            }
        }
    }


    @Test
    void smallMaxConcurrentStreamsIsRespected() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            Http2TestBackend b1 = Http2TestBackend.start("b1", h.backendGroup(), 4);
            try {
                h.start(config("", b1));
                List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    calls.add(CLIENT.sendAsync(HttpRequest.newBuilder(URI.create(h.url("/slow?delay=100&i=" + i)))
                            .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray()));
                }
                for (int i = 0; i < 40; i++) {
                    HttpResponse<byte[]> r = calls.get(i).get(90, TimeUnit.SECONDS);
                    assertEquals(200, r.statusCode(), "request " + i + ": " + new String(r.body()));
                }
                assertEquals(40, b1.streams());
                assertTrue(b1.maxOpenStreams() <= 4, "streams open at once on a connection: " + b1.maxOpenStreams());
                assertEquals(0, backend(h, "b1").stats().failures());
            } finally {
                b1.close();
            }
        }
    }

    @Test
    void goAwayAndKilledBackendsAreRetriedElsewhere() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            Http2TestBackend b1 = Http2TestBackend.start("b1", h.backendGroup(), 0);
            Http2TestBackend b2 = Http2TestBackend.start("b2", h.backendGroup(), 0);
            Http2TestBackend b3 = Http2TestBackend.start("b3", h.backendGroup(), 0);
            try {
                h.start(config("retries { attempts = 3, budget-percent = 100 }", b1, b2, b3));
                int threads = 6;
                int total = 600;
                AtomicInteger started = new AtomicInteger();
                AtomicInteger done = new AtomicInteger();
                List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                try {
                    for (int t = 0; t < threads; t++) {
                        pool.submit(() -> {
                            while (started.getAndIncrement() < total) {
                                try {
                                    HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create(h.url("/x?delay=5")))
                                            .timeout(Duration.ofSeconds(30)).build());
                                    if (r.statusCode() != 200) {
                                        errors.add(r.statusCode() + " " + new String(r.body()));
                                    }
                                } catch (Exception e) {
                                    errors.add(e.toString());
                                }
                                done.incrementAndGet();
                            }
                            return null;
                        });
                    }
                    Await.value(Duration.ofSeconds(60), "150 requests done", done::get, d -> d >= 150);
                    b1.goAway();
                    Await.value(Duration.ofSeconds(60), "300 requests done", done::get, d -> d >= 300);
                    b2.kill();
                    pool.shutdown();
                    assertTrue(pool.awaitTermination(120, TimeUnit.SECONDS), "load did not finish: " + done.get());
                } finally {
                    pool.shutdownNow();
                }
                assertEquals(List.of(), errors);
                assertEquals(total, done.get());
                assertTrue(b3.streams() > 0);
            } finally {
                b1.close();
                b2.close();
                b3.close();
            }
        }
    }

    @Test
    void tlsWithAlpnVerifiedAgainstATestCa() throws Exception {
        TestPki pki = TestPki.create(dir);
        TestPki.Leaf leaf = pki.leaf("h2-backend", "backend.internal", "backend.internal");
        try (ProxyHarness h = new ProxyHarness()) {
            Http2TestBackend b1 = Http2TestBackend.startTls("b1", h.backendGroup(), leaf.cert(), leaf.key());
            try {
                // the first TLS handshake of a cold JVM on a loaded machine can outlast the default 1 s connect timeout
                h.start(config("upstream-tls { ca-file = \"" + pki.caCert() + "\", server-name = backend.internal }\n timeouts { connect = 10s }", b1));
                for (int i = 0; i < 20; i++) {
                    HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create(h.url("/tls?i=" + i))).timeout(Duration.ofSeconds(30)).build());
                    assertEquals(200, r.statusCode(), new String(r.body()));
                    assertEquals("https", r.headers().firstValue("x-scheme").orElseThrow());
                }
                assertEquals(20, b1.streams());
                assertTrue(b1.connections() <= 2, "connections: " + b1.connections());
            } finally {
                b1.close();
            }
        }
    }

    @Test
    void refusedStreamsAreRetriedEvenWhenNotIdempotent() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            Http2TestBackend b1 = Http2TestBackend.start("b1", h.backendGroup(), 0);
            Http2TestBackend b2 = Http2TestBackend.start("b2", h.backendGroup(), 0);
            try {
                h.start(config("balancer = round-robin\n retries { attempts = 2, budget-percent = 100 }", b1, b2));
                b1.refuseNext(1000);
                b2.refuseNext(1000);
                // with both refusing there is nothing left to try: 502 naming the refusal
                HttpResponse<byte[]> refused = send(HttpRequest.newBuilder(URI.create(h.url("/r")))
                        .POST(HttpRequest.BodyPublishers.ofString("once")).timeout(Duration.ofSeconds(30)).build());
                assertEquals(502, refused.statusCode());
                assertTrue(new String(refused.body()).contains("REFUSED_STREAM"), new String(refused.body()));
                b2.refuseNext(0);
                for (int i = 0; i < 10; i++) {
                    HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create(h.url("/post?i=" + i)))
                            .POST(HttpRequest.BodyPublishers.ofString("payload-" + i)).timeout(Duration.ofSeconds(30)).build());
                    assertEquals(200, r.statusCode(), new String(r.body()));
                    assertTrue(new String(r.body()).startsWith("b2 "), new String(r.body()));
                    assertTrue(new String(r.body()).endsWith("bytes=" + ("payload-" + i).length()), new String(r.body()));
                }
                assertEquals(0, b1.streams());
                assertTrue(b1.refused() >= 5, "refused by b1: " + b1.refused());
                assertTrue(backend(h, "b2").stats().retries() >= 5);
            } finally {
                b1.close();
                b2.close();
            }
        }
    }

    @Test
    void aTlsBackendThatDoesNotChooseH2IsAFailure() throws Exception {
        TestPki pki = TestPki.create(dir);
        TestPki.Leaf leaf = pki.leaf("h1-backend", "backend.internal", "backend.internal");
        SslContext serverTls = SslContextBuilder.forServer(leaf.cert().toFile(), leaf.key().toFile()).build();
        try (ProxyHarness h = new ProxyHarness()) {
            Channel h1Only = new ServerBootstrap().group(h.backendGroup()).channel(Transport.best().serverChannel())
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(serverTls.newHandler(ch.alloc()), new HttpServerCodec(), new HttpObjectAggregator(1 << 16),
                                    new SimpleChannelInboundHandler<FullHttpRequest>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
                                            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
                                        }
                                    });
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            try {
                InetSocketAddress a = (InetSocketAddress) h1Only.localAddress();
                h.start("pharos {\n workers = 1\n listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app } ]\n"
                        + " clusters { app { protocol = h2\n backends = [ { name = b1, address = \"127.0.0.1:" + a.getPort() + "\" } ]\n"
                        + " upstream-tls { ca-file = \"" + pki.caCert() + "\", server-name = backend.internal } } }\n}\n");
                HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create(h.url("/"))).timeout(Duration.ofSeconds(30)).build());
                assertEquals(502, r.statusCode());
                assertTrue(new String(r.body()).contains("did not choose h2 by ALPN"), new String(r.body()));
                assertTrue(backend(h, "b1").stats().failures() >= 1);
            } finally {
                h1Only.close().sync();
            }
        }
    }

    @Test
    void aBackendThatNeverSendsSettingsFailsWithinTheConnectTimeout() throws Exception {
        try (ProxyHarness h = new ProxyHarness();
             ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = java.util.Collections.synchronizedList(new ArrayList<>());
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (Exception e) {
                    // closed at the end of the test
                }
            }, "silent-acceptor");
            acceptor.setDaemon(true);
            acceptor.start();
            try {
                h.start("pharos {\n workers = 1\n listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app } ]\n"
                        + " clusters { app { protocol = h2, timeouts { connect = 300ms }\n backends = [ { name = b1, address = \"127.0.0.1:"
                        + silent.getLocalPort() + "\" } ] } }\n}\n");
                HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create(h.url("/"))).timeout(Duration.ofSeconds(30)).build());
                assertEquals(502, r.statusCode());
                assertTrue(new String(r.body()).contains("sent no HTTP/2 SETTINGS within 300 ms"), new String(r.body()));
                assertEquals(1, backend(h, "b1").stats().failures());
                Await.until(Duration.ofSeconds(30), "the silent connection to close", () -> backend(h, "b1").connections().isEmpty());
            } finally {
                silent.close();
                for (Socket s : accepted) {
                    s.close();
                }
            }
        }
    }
}
