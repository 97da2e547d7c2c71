package io.pharos.proxy.l7;

import io.netty.util.ResourceLeakDetector;
import io.pharos.proxy.testing.CannedBackend;
import io.pharos.proxy.testing.LoopThreadMeter;
import io.pharos.proxy.testing.ProxyHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Heap bytes the proxy's event loop allocates per proxied request (from
 * {@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes} of the {@code pharos-loop} and
 * {@code pharos-accept} threads), for keep-alive requests and for a new connection per request. It is
 * the repeatable figure behind the CPU work in bench/results/history.md: exact, and unlike CPU time not
 * disturbed by other jobs on the machine. The bound asserted is generous (several times the measured
 * figure) so only a gross regression fails; the figures themselves are printed.
 *
 * <p>Measuring runs: {@code -Dpharos.alloc.requests=200000 -Dpharos.alloc.warmup=100000} (defaults are
 * small so that {@code ./mvnw verify} stays quick; before the JIT has compiled the path, figures are higher).
 * The leak detector is switched off while measuring: at {@code paranoid} it records a stack trace per
 * buffer access, which would be most of what is measured.
 */
class AllocationPerRequestIT {
    private static final int CONNECTIONS = 4;
    private static final int BODY_BYTES = 100;
    private static final long KEEP_ALIVE_BOUND = 64 * 1024;
    private static final long NEW_CONNECTION_BOUND = 256 * 1024;

    private ProxyHarness h;
    private CannedBackend backend;
    private ResourceLeakDetector.Level leakLevel;

    @BeforeEach
    void setUp() throws Exception {
        h = new ProxyHarness();
        backend = CannedBackend.start(h.backendGroup(), BODY_BYTES);
        h.start("pharos {\n workers = 1\n"
                + " listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app } ]\n"
                + " clusters { app {\n backends = [ { name = c1, address = \"" + backend.address() + "\" } ]\n } }\n}\n");
        leakLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }

    @AfterEach
    void tearDown() {
        ResourceLeakDetector.setLevel(leakLevel);
        h.close();
        backend.close();
    }

    @Test
    void keepAliveRequestsAllocateLittleOnTheLoop() throws Exception {
        assertAllocatesLessThan(KEEP_ALIVE_BOUND, false, 1, "keep-alive", "keep-alive request");
    }

    @Test
    void newConnectionPerRequestAllocatesLittleOnTheLoop() throws Exception {
        assertAllocatesLessThan(NEW_CONNECTION_BOUND, true, 4, "new-connection", "request on a new connection");
    }

    /** Warms up, then measures the loop's allocation over the configured request count divided by {@code divisor}. */
    private void assertAllocatesLessThan(long bound, boolean newConnection, int divisor, String what, String perWhat)
            throws Exception {
        int warmup = Integer.getInteger("pharos.alloc.warmup", 5_000) / divisor;
        int requests = Integer.getInteger("pharos.alloc.requests", 10_000) / divisor;
        run(warmup, newConnection);
        LoopThreadMeter meter = LoopThreadMeter.start();
        run(requests, newConnection);
        LoopThreadMeter.Sample s = meter.stop();
        report(what, s, requests);
        assertTrue(s.bytes() / requests < bound,
                "bytes allocated per " + perWhat + ": " + s.bytes() / requests + " (expected: < " + bound + ")");
    }

    private static void report(String what, LoopThreadMeter.Sample s, int requests) {
        System.out.printf("alloc-per-request %s: requests=%d bytes/request=%d cpu-us/request=%.1f%n",
                what, requests, s.bytes() / requests, s.cpuNanos() / 1000.0 / requests);
    }

    /** Sends {@code total} GETs over {@link #CONNECTIONS} client threads and checks every answer. */
    private void run(int total, boolean newConnection) throws Exception {
        int port = h.port();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < CONNECTIONS; t++) {
            int n = total / CONNECTIONS;
            Thread th = new Thread(() -> {
                try {
                    client(port, n, newConnection);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "alloc-client-" + t);
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join(120_000);
            assertTrue(!th.isAlive(), "client thread did not finish in 2 minutes");
        }
        assertNull(failure.get(), () -> "client failed: " + failure.get());
    }

    private static void client(int port, int n, boolean newConnection) throws IOException {
        byte[] request = ("GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUser-Agent: pharos-alloc\r\nAccept: */*\r\n"
                + (newConnection ? "Connection: close\r\n" : "") + "\r\n").getBytes(StandardCharsets.US_ASCII);
        Socket s = null;
        InputStream in = null;
        try {
            for (int i = 0; i < n; i++) {
                if (s == null) {
                    s = new Socket("127.0.0.1", port);
                    s.setTcpNoDelay(true);
                    s.setSoTimeout(10_000);
                    in = new BufferedInputStream(s.getInputStream(), 1024);
                }
                OutputStream out = s.getOutputStream();
                out.write(request);
                out.flush();
                assertEquals(BODY_BYTES, readResponse(in), "body bytes of response " + i);
                if (newConnection) {
                    s.setSoLinger(true, 0);
                    s.close();
                    s = null;
                }
            }
        } finally {
            if (s != null) {
                s.close();
            }
        }
    }

    /** Reads one 200 response with a Content-Length; returns its body length. */
    private static int readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder(256);
        int c;
        while ((c = in.read()) >= 0) {
            head.append((char) c);
            int len = head.length();
            if (len >= 4 && head.charAt(len - 1) == '\n' && head.charAt(len - 2) == '\r'
                    && head.charAt(len - 3) == '\n' && head.charAt(len - 4) == '\r') {
                break;
            }
        }
        String text = head.toString();
        if (!text.startsWith("HTTP/1.1 200 ")) {
            throw new IOException("unexpected response head: " + text);
        }
        int at = text.toLowerCase().indexOf("\r\ncontent-length:");
        if (at < 0) {
            throw new IOException("no Content-Length: " + text);
        }
        int length = Integer.parseInt(text.substring(at + 17, text.indexOf('\r', at + 2)).trim());
        return in.readNBytes(length).length;
    }
}
