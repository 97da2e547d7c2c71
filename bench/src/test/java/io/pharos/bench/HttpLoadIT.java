package io.pharos.bench;

import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP load generator against a scripted loopback server. */
class HttpLoadIT {
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

    private LoadResult run(String... args) throws InterruptedException {
        LoadResult r = HttpLoad.run(BenchOptions.parse(args), out);
        r.print(out);
        return r;
    }

    private String printed() {
        return printed.toString(StandardCharsets.UTF_8);
    }

    @Test
    void closedLoopKeepAliveUsesOneConnectionPerSlot() throws Exception {
        try (TestHttpServer server = new TestHttpServer(n -> TestHttpServer.Reply.ok())) {
            LoadResult r = run(server.url(), "-c", "4", "-w", "0.5s", "-d", "1s", "-q",
                    "--watch-pids", Long.toString(ProcessHandle.current().pid()));
            assertTrue(r.requests() > 0, printed());
            LoadResult.Usage u = r.usage().orElseThrow();
            assertTrue(u.cpuSeconds() > 0 && u.rssKb() > 0, printed());
            assertTrue(printed().contains(" cpu_us_per_req="), printed());
            assertEquals(0, r.errorCount(), printed());
            assertEquals(4, server.connections.get(), "keep-alive: one connection per slot");
            assertEquals(r.requests(), r.latency().getTotalCount());
            assertTrue(r.bytes() > r.requests() * 5, "bytes count headers and bodies");
            assertTrue(printed().contains("result: mode=http"), printed());
        }
    }

    @Test
    void newConnectionPerRequest() throws Exception {
        try (TestHttpServer server = new TestHttpServer(n -> TestHttpServer.Reply.ok())) {
            LoadResult r = run(server.url(), "-c", "2", "-w", "0.5s", "-d", "1s", "-n", "-q");
            assertTrue(r.requests() > 0, printed());
            assertEquals(0, r.errorCount(), printed());
            assertTrue(server.connections.get() >= r.requests(),
                    server.connections.get() + " connections for " + r.requests() + " requests");
        }
    }

    @Test
    void serverClosingAfterEveryResponseIsNotAnError() throws Exception {
        try (TestHttpServer server = new TestHttpServer(n -> TestHttpServer.Reply.okThenClose())) {
            LoadResult r = run(server.url(), "-c", "2", "-w", "0.5s", "-d", "1s", "-q");
            assertTrue(r.requests() > 1, printed());
            assertEquals(0, r.errorCount(), printed());
            assertTrue(server.connections.get() > 2);
        }
    }

    @Test
    void openLoopHoldsTheRate() throws Exception {
        try (TestHttpServer server = new TestHttpServer(n -> TestHttpServer.Reply.ok())) {
            LoadResult r = run(server.url(), "-c", "4", "-d", "2s", "-R", "200", "-q");
            assertEquals(0, r.errorCount(), printed());
            // 200/s for 2s is 400 requests; a closed loop would do thousands
            assertTrue(r.requests() >= 200 && r.requests() <= 440, r.requests() + " requests\n" + printed());
        }
    }

    @Test
    void openLoopChargesAStallToEveryRequestDueDuringIt() throws Exception {
        // one connection, one request due every 10 ms; request 30 is answered 600 ms late. In a closed
        // loop only that one request would look slow; measured from the due time, the ~60 requests that
        // were due during the stall are all late as well.
        try (TestHttpServer server = new TestHttpServer(
                n -> n == 30 ? TestHttpServer.Reply.delayed(600) : TestHttpServer.Reply.ok())) {
            LoadResult r = run(server.url(), "-c", "1", "-d", "2s", "-R", "100", "-q");
            long slow = r.latency().getCountBetweenValues(TimeUnit.MILLISECONDS.toNanos(100), Long.MAX_VALUE / 4);
            assertTrue(slow >= 20, slow + " requests slower than 100 ms\n" + printed());
            assertTrue(r.latency().getMaxValue() >= TimeUnit.MILLISECONDS.toNanos(550), printed());
        }
    }

    @Test
    void non2xxCountsAsStatusError() throws Exception {
        try (TestHttpServer server = new TestHttpServer(n -> TestHttpServer.Reply.status(503))) {
            LoadResult r = run(server.url(), "-c", "2", "-w", "0.5s", "-d", "1s", "-q");
            assertTrue(r.requests() > 0, printed());
            assertEquals(r.requests(), r.errors(ErrorKind.STATUS), printed());
            assertEquals(r.requests(), r.errorCount(), printed());
        }
    }

    @Test
    void silenceCountsAsTimeout() throws Exception {
        try (TestHttpServer server = new TestHttpServer(n -> TestHttpServer.Reply.silence())) {
            LoadResult r = run(server.url(), "-c", "2", "-d", "1s", "--timeout", "150ms", "-q");
            assertEquals(0, r.requests(), printed());
            assertTrue(r.errors(ErrorKind.TIMEOUT) >= 2, printed());
            assertEquals(r.errors(ErrorKind.TIMEOUT), r.errorCount(), printed());
        }
    }

    @Test
    void resetCountsAsReset() throws Exception {
        try (TestHttpServer server = new TestHttpServer(n -> TestHttpServer.Reply.abort())) {
            LoadResult r = run(server.url(), "-c", "2", "-d", "1s", "-q");
            assertEquals(0, r.requests(), printed());
            assertTrue(r.errors(ErrorKind.RESET) > 0, printed());
        }
    }

    @Test
    void refusedConnectCountsAsConnectError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        LoadResult r = run("http://127.0.0.1:" + port + "/", "-c", "1", "-d", "1s", "-q");
        assertEquals(0, r.requests(), printed());
        assertTrue(r.errors(ErrorKind.CONNECT) > 0, printed());
    }

    @Test
    void writesAnHdrHistogramLog(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("latency.hlog");
        try (TestHttpServer server = new TestHttpServer(n -> TestHttpServer.Reply.ok())) {
            LoadResult r = run(server.url(), "-c", "2", "-d", "2s", "--hdr-log", log.toString(), "-q");
            assertTrue(Files.size(log) > 0);
            long total = 0;
            int intervals = 0;
            try (HistogramLogReader reader = new HistogramLogReader(log.toFile())) {
                EncodableHistogram h;
                while ((h = reader.nextIntervalHistogram()) != null) {
                    total += ((org.HdrHistogram.Histogram) h).getTotalCount();
                    intervals++;
                }
            }
            assertEquals(2, intervals);
            assertNotNull(r.latency());
            assertEquals(r.requests(), total, "the log's intervals add up to the result");
        }
    }
}
