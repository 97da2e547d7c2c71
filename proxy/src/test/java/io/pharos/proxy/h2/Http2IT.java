package io.pharos.proxy.h2;

import io.pharos.health.testing.Await;
import io.pharos.proxy.testing.ProxyHarness;
import io.pharos.proxy.testing.TestBackend;
import io.pharos.proxy.tls.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP/2 downstream with real clients (h2load, curl) over TLS and cleartext, each stream proxied to
 * HTTP/1.1 backends; and Netty's abuse limits seen from a raw frame client: rapid reset, CONTINUATION
 * flood, Content-Length mismatch.
 */
class Http2IT {
    @TempDir
    Path dir;

    private static String config(ProxyHarness h, String tls) {
        return "pharos {\n workers = 2\n listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app\n"
                + tls + " } ]\n clusters { app { backends = [\n" + h.backendsHocon() + " ] } }\n}\n";
    }

    private static int backendRequests(ProxyHarness h) {
        return h.backends().stream().mapToInt(TestBackend::requests).sum();
    }

    @Test
    void thousandStreamsOverOneTlsConnectionAllSucceed() throws Exception {
        TestPki pki = TestPki.create(dir);
        TestPki.Leaf leaf = pki.leaf("server", "localhost", "localhost");
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            h.addBackend("b2");
            h.start(config(h, ", tls { certificate = \"" + leaf.cert() + "\", key = \"" + leaf.key() + "\" }"));
            TestPki.Result r = TestPki.run(List.of("h2load", "-n", "1000", "-c", "1", "-m", "100",
                    "https://127.0.0.1:" + h.port() + "/"), 120);
            assertTrue(r.output().contains("Application protocol: h2"), r.output());
            assertTrue(r.output().contains("requests: 1000 total, 1000 started, 1000 done, 1000 succeeded, 0 failed"), r.output());
            assertTrue(r.output().contains("status codes: 1000 2xx"), r.output());
            assertEquals(1000, backendRequests(h));
        }
    }

    @Test
    void cleartextPriorKnowledgeAndBodiesBothWays() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            h.start(config(h, ""));
            String base = "http://127.0.0.1:" + h.port();
            TestPki.Result load = TestPki.run(List.of("h2load", "-n", "200", "-c", "2", "-m", "20", base + "/"), 120);
            assertTrue(load.output().contains("200 succeeded, 0 failed"), load.output());
            assertTrue(load.output().contains("Application protocol: h2c"), load.output());

            byte[] body = new byte[3 * 1024 * 1024 + 7];
            new Random(7).nextBytes(body);
            Path file = dir.resolve("body.bin");
            Files.write(file, body);
            CRC32 crc = new CRC32();
            crc.update(body);
            TestPki.Result sink = TestPki.run(List.of("curl", "-sS", "--max-time", "60", "--http2-prior-knowledge",
                    "--data-binary", "@" + file, base + "/sink"), 90);
            assertEquals("bytes=" + body.length + " crc=" + crc.getValue(), sink.output().trim());
            Path echoed = dir.resolve("echoed.bin");
            TestPki.Result echo = TestPki.run(List.of("curl", "-sS", "--max-time", "60", "--http2-prior-knowledge",
                    "--data-binary", "@" + file, "-o", echoed.toString(), "-w", "%{http_version} %{http_code}", base + "/echo"), 90);
            assertEquals("2 200", echo.output());
            assertEquals(-1, java.util.Arrays.mismatch(body, Files.readAllBytes(echoed)), "echoed body identical");
            Path back = dir.resolve("back.bin");
            int n = 3 * 1024 * 1024 + 11;
            TestPki.Result download = TestPki.run(List.of("curl", "-sS", "--max-time", "60", "--http2-prior-knowledge",
                    "-o", back.toString(), "-w", "%{http_version} %{http_code}", base + "/bytes?n=" + n + "&chunked=1"), 90);
            assertEquals("2 200", download.output());
            byte[] got = Files.readAllBytes(back);
            assertEquals(n, got.length, "downloaded length");
            for (int i = 0; i < n; i++) {
                if (got[i] != TestBackend.pattern(i)) {
                    throw new AssertionError("byte " + i + " differs");
                }
            }
            // an HTTP/1.1 client on the same cleartext port still works
            TestPki.Result h1 = TestPki.run(List.of("curl", "-sS", "--max-time", "20", "--http1.1", "-w", " %{http_version}", base + "/"), 30);
            assertEquals("b1 1.1", h1.output());
        }
    }

    @Test
    void rapidResetIsCutOffWithoutHurtingOtherClients() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            h.start(config(h, ""));
            // a client that resets a handful of streams is within the limits and keeps its connection
            try (RawH2 polite = new RawH2(h.port())) {
                for (int i = 0; i < 20; i++) {
                    polite.headers(1 + 2 * i, RawH2.get("/slow?ms=200"), true).rst(1 + 2 * i);
                }
                polite.headers(41, RawH2.get("/"), true).flush();
                RawH2.Frame resp = polite.await(RawH2.HEADERS, 41);
                assertNotNull(resp, "the polite client got its response");
            }
            try (RawH2 attacker = new RawH2(h.port())) {
                int sent = 0;
                try {
                    for (int round = 0; round < 10; round++) {
                        for (int i = 0; i < 100; i++) {
                            int id = 1 + 2 * sent++;
                            attacker.headers(id, RawH2.get("/"), true).rst(id);
                        }
                        attacker.flush();
                    }
                } catch (java.io.IOException e) {
                    // the proxy closed the connection while we were still writing: that is the point
                }
                // meanwhile another client is served
                TestPki.Result other = TestPki.run(List.of("h2load", "-n", "100", "-c", "1", "-m", "10",
                        "http://127.0.0.1:" + h.port() + "/"), 60);
                assertTrue(other.output().contains("100 succeeded, 0 failed"), other.output());
                RawH2.Frame f;
                boolean closed = false;
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (System.nanoTime() < deadline) {
                    f = attacker.read();
                    if (f == null) {
                        closed = true;
                        break;
                    }
                    if (f.type() == RawH2.GOAWAY) {
                        int lastStream = ((f.payload()[0] & 0x7f) << 24) | ((f.payload()[1] & 0xff) << 16)
                                | ((f.payload()[2] & 0xff) << 8) | (f.payload()[3] & 0xff);
                        assertTrue(lastStream <= 2 * (Http2Connections.MAX_RST_FRAMES_PER_WINDOW + 1) + 1,
                                "cut off at the RST limit, not later: last stream " + lastStream + " of " + sent);
                    }
                }
                assertTrue(closed, "the resetting client's connection was closed");
            }
        }
    }

    @Test
    void continuationFloodClosesTheConnection() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            h.start(config(h, ""));
            try (RawH2 c = new RawH2(h.port())) {
                byte[] block = c.headerBlock(RawH2.get("/"));
                c.frame(RawH2.HEADERS, RawH2.END_STREAM, 1, block);
                try {
                    for (int i = 0; i < 1000; i++) {
                        c.frame(RawH2.CONTINUATION, 0, 1, new byte[0]);
                    }
                    c.flush();
                } catch (java.io.IOException e) {
                    // closed while writing
                }
                RawH2.Frame f;
                // read until the proxy closes the connection (the socket timeout fails the test otherwise)
                while ((f = c.read()) != null) {
                    assertTrue(f.type() != RawH2.HEADERS, "no response to a flood");
                }
            }
            TestPki.Result ok = TestPki.run(List.of("curl", "-sS", "--max-time", "20", "--http2-prior-knowledge",
                    "http://127.0.0.1:" + h.port() + "/"), 30);
            assertEquals("b1", ok.output());
        }
    }

    @Test
    void contentLengthMismatchResetsTheStreamOnly() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            h.start(config(h, ""));
            try (RawH2 c = new RawH2(h.port())) {
                var headers = new io.netty.handler.codec.http2.DefaultHttp2Headers().method("POST").scheme("http")
                        .authority("test").path("/sink").set("content-length", "10");
                c.headers(1, headers, false).frame(RawH2.DATA, RawH2.END_STREAM, 1, new byte[5]).flush();
                RawH2.Frame rst = c.await(RawH2.RST_STREAM, 1);
                assertNotNull(rst, "stream 1 was reset (at once: a backend would wait for the missing bytes)");
                assertEquals(0x1, rst.errorCode(), "PROTOCOL_ERROR");
                c.headers(3, RawH2.get("/"), true).flush();
                RawH2.Frame next = c.await(RawH2.HEADERS, 3);
                assertNotNull(next, "the connection goes on: stream 3 answered");
            }
        }
    }

    @Test
    void announcesItsLimitsAndEnforcesTheHeaderListSize() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            h.start(config(h, ""));
            try (RawH2 c = new RawH2(h.port())) {
                c.flush();
                RawH2.Frame settings = c.await(RawH2.SETTINGS, 0);
                assertNotNull(settings);
                java.util.Map<Integer, Long> values = new java.util.HashMap<>();
                byte[] p = settings.payload();
                for (int i = 0; i + 6 <= p.length; i += 6) {
                    int id = ((p[i] & 0xff) << 8) | (p[i + 1] & 0xff);
                    long v = ((long) (p[i + 2] & 0xff) << 24) | ((p[i + 3] & 0xff) << 16) | ((p[i + 4] & 0xff) << 8) | (p[i + 5] & 0xff);
                    values.put(id, v);
                }
                assertEquals(100L, values.get(0x3), "SETTINGS_MAX_CONCURRENT_STREAMS");
                assertEquals(16384L, values.get(0x6), "SETTINGS_MAX_HEADER_LIST_SIZE = http.max-header-size");

                // a header list over the limit is refused without reaching a backend
                var big = RawH2.get("/").set("x-big", "v".repeat(20_000));
                c.headers(1, big, true).flush();
                RawH2.Frame f;
                boolean refused = false;
                while ((f = c.read()) != null) {
                    if ((f.type() == RawH2.RST_STREAM && f.stream() == 1) || f.type() == RawH2.GOAWAY) {
                        refused = true;
                        break;
                    }
                    if (f.type() == RawH2.HEADERS && f.stream() == 1) {
                        // answered by the proxy itself (431), never by the backend
                        refused = true;
                        break;
                    }
                }
                assertTrue(refused, "the oversized header list was refused");
                assertEquals(0, h.backends().get(0).requests(), "nothing reached the backend");
            }
        }
    }

    @Test
    void drainSendsGoAwayLetsTheOpenStreamFinishThenCloses() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            String cfg = config(h, "").replace("workers = 2\n", "workers = 2\n shutdown { drain-timeout = 60s }\n");
            h.start(cfg);
            try (RawH2 c = new RawH2(h.port())) {
                c.headers(1, RawH2.get("/slow?ms=1500"), true).flush();
                assertTrue(h.backends().get(0).requests() <= 1);
                long t0 = System.nanoTime();
                // a reload removes the listener: its connections drain
                String next = cfg.replace("name = web,", "name = other,");
                assertTrue(h.server().applyConfig(io.pharos.proxy.config.ConfigLoader.parse(next)).ok());

                RawH2.Frame goAway = c.await(RawH2.GOAWAY, 0);
                assertNotNull(goAway, "GOAWAY sent on drain");
                assertEquals(0, goAway.errorCode(), "NO_ERROR: a graceful goodbye");
                int lastStream = ((goAway.payload()[0] & 0x7f) << 24) | ((goAway.payload()[1] & 0xff) << 16)
                        | ((goAway.payload()[2] & 0xff) << 8) | (goAway.payload()[3] & 0xff);
                assertEquals(1, lastStream, "the open stream is still served");
                boolean answered = false;
                RawH2.Frame f;
                while ((f = c.read()) != null) {
                    if (f.type() == RawH2.HEADERS && f.stream() == 1) {
                        answered = true;
                    }
                }
                assertTrue(answered, "stream 1 was answered before the connection closed");
                assertTrue(System.nanoTime() - t0 < 30_000_000_000L, "closed once its stream ended, not at the 60 s drain deadline");
                assertEquals(1, h.backends().get(0).requests());
            }
        }
    }

    @Test
    void aConnectionThatChoosesHttp2AfterTheDrainBeganIsServedThenToldGoAway() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            String cfg = config(h, "").replace("workers = 2\n", "workers = 2\n shutdown { drain-timeout = 60s }\n");
            h.start(cfg);
            var metrics = h.server().listener("web").context().metrics();
            try (RawH2 c = new RawH2(h.port())) {
                Await.until(Duration.ofSeconds(20), "connection accepted", () -> metrics.connections() >= 1);
                // the listener drains while the connection has sent nothing yet (its protocol still unknown)
                assertTrue(h.server().applyConfig(io.pharos.proxy.config.ConfigLoader.parse(cfg.replace("name = web,", "name = other,"))).ok());
                c.headers(1, RawH2.get("/"), true).flush();
                boolean answered = false;
                int lastStream = -1;
                RawH2.Frame f;
                while ((f = c.read()) != null) {
                    if (f.type() == RawH2.HEADERS && f.stream() == 1) {
                        answered = true;
                    } else if (f.type() == RawH2.GOAWAY) {
                        assertEquals(0, f.errorCode(), "NO_ERROR");
                        lastStream = ((f.payload()[0] & 0x7f) << 24) | ((f.payload()[1] & 0xff) << 16)
                                | ((f.payload()[2] & 0xff) << 8) | (f.payload()[3] & 0xff);
                    }
                }
                assertTrue(answered, "the stream sent with the first bytes was served");
                assertEquals(1, lastStream, "then GOAWAY, and the connection closed");
            }
        }
    }
}
