package io.pharos.proxy.lb;

import io.pharos.proxy.testing.ProxyHarness;
import io.pharos.proxy.testing.RawHttp;
import io.pharos.proxy.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * peak-ewma through the real proxy: the L7 path records each backend's response latency, and the
 * balancer sends less traffic to a backend that answers 150 ms late than round robin would (half).
 */
class PeakEwmaIT {
    private static final int REQUESTS = 120;
    private static final int SLOW_MS = 150;

    private final ProxyHarness h = new ProxyHarness();
    private SlowServer slow;

    @AfterEach
    void tearDown() throws IOException {
        h.close();
        if (slow != null) {
            slow.close();
        }
    }

    @Test
    void trafficMovesAwayFromTheSlowBackend() throws Exception {
        TestBackend fast = h.addBackend("fast");
        slow = new SlowServer(SLOW_MS);
        // ewma-decay 1s: a scheduling hiccup on the fast backend is forgotten within a second
        h.start("pharos {\n workers = 1\n"
                + " listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app } ]\n"
                + " clusters { app {\n balancer = peak-ewma\n ewma-decay = 1s\n backends = [\n"
                + "  { name = fast, address = \"" + fast.address() + "\" }\n"
                + "  { name = slow, address = \"127.0.0.1:" + slow.port() + "\" }\n ]\n } }\n}\n");
        int slowAnswers = 0;
        try (RawHttp raw = new RawHttp(h.port())) {
            for (int i = 0; i < REQUESTS; i++) {
                raw.send("GET /r" + i + " HTTP/1.1\r\nHost: test\r\n\r\n");
                RawHttp.Response r = raw.read();
                assertEquals(200, r.status());
                slowAnswers += r.bodyText().equals("slow") ? 1 : 0;
            }
        }
        assertEquals(REQUESTS - slowAnswers, fast.requests(), "the rest went to the fast backend");
        // P2C over two backends: the slow one wins only when both draws fall on it (~1/4)
        assertTrue(slowAnswers < REQUESTS * 0.4, "slow backend answered " + slowAnswers + " of " + REQUESTS);
        assertTrue(h.server().cluster("app").snapshot().member("slow").backend().latencyEwmaNanos(System.nanoTime()) > 0,
                "latency samples were recorded");
    }

    /** A keep-alive HTTP/1.1 server that answers every request after a fixed delay; thread per connection. */
    private static final class SlowServer implements AutoCloseable {
        private final ServerSocket server;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final Thread acceptor;

        SlowServer(int delayMs) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        sockets.add(s);
                        Thread t = new Thread(() -> serve(s, delayMs), "slow-backend-conn");
                        t.setDaemon(true);
                        t.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "slow-backend-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private static void serve(Socket s, int delayMs) {
            byte[] answer = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow".getBytes(StandardCharsets.ISO_8859_1);
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                int matched = 0;
                int c;
                while ((c = in.read()) >= 0) {
                    // a request without a body ends at the first empty line
                    matched = (c == '\r' && (matched == 0 || matched == 2)) || (c == '\n' && (matched == 1 || matched == 3))
                            ? matched + 1 : 0;
                    if (matched == 4) {
                        matched = 0;
                        Thread.sleep(delayMs);
                        out.write(answer);
                        out.flush();
                    }
                }
            } catch (IOException | InterruptedException e) {
                // connection closed by the proxy or by close()
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
