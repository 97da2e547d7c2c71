package io.pharos.proxy.server;

import io.netty.channel.EventLoopGroup;
import io.pharos.health.testing.Await;
import io.pharos.proxy.testing.LoadGenerator;
import io.pharos.proxy.testing.ProxyProcess;
import io.pharos.proxy.testing.RawHttp;
import io.pharos.proxy.testing.TestBackend;
import io.pharos.proxy.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SIGTERM of a proxy JVM under load: healthz 503 at once, in-flight requests finish, exit 0 within the drain timeout. */
class ShutdownIT {
    private EventLoopGroup group;
    private TestBackend b1;
    private TestBackend b2;
    private Path file;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void setUp() throws Exception {
        group = Transport.best().newGroup(1, "test-backends");
        b1 = TestBackend.start("b1", group);
        b2 = TestBackend.start("b2", group);
        file = Files.createTempFile("pharos-shutdown", ".conf");
    }

    @AfterEach
    void tearDown() throws Exception {
        b1.close();
        b2.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        Files.deleteIfExists(file);
    }

    private ProxyProcess start(int web, int admin, String shutdown) throws Exception {
        Files.writeString(file, "pharos {\n  workers = 2\n"
                + "  admin { listen = \"127.0.0.1:" + admin + "\" }\n"
                + "  shutdown { " + shutdown + " }\n"
                + "  listeners = [ { name = web, listen = \"127.0.0.1:" + web + "\", protocol = http, cluster = app } ]\n"
                + "  clusters { app { backends = [\n"
                + "    { name = b1, address = \"" + b1.address() + "\" }\n"
                + "    { name = b2, address = \"" + b2.address() + "\" }\n"
                + "  ] } }\n}\n");
        ProxyProcess p = ProxyProcess.start(List.of("-Xmx256m"), "proxy", "-c", file.toString());
        p.awaitPort(web, Duration.ofSeconds(60));
        p.awaitPort(admin, Duration.ofSeconds(60));
        return p;
    }

    private int healthz(int admin) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/healthz")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    private static long slowSeen(TestBackend... bs) {
        long n = 0;
        for (TestBackend b : bs) {
            n += b.seen().stream().filter(r -> r.uri().startsWith("/slow")).count();
        }
        return n;
    }

    /** Sends one slow request per thread on its own connection; records statuses (-1 = failed). */
    private static List<Thread> slowRequests(int web, int n, int ms, List<Integer> statuses) {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> {
                int status;
                try (RawHttp c = new RawHttp(web)) {
                    status = c.send("GET /slow?ms=" + ms + " HTTP/1.1\r\nHost: t\r\n\r\n").read().status();
                } catch (IOException e) {
                    status = -1;
                }
                synchronized (statuses) {
                    statuses.add(status);
                }
            });
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        return threads;
    }

    @Test
    void sigtermUnderLoadFinishesInFlightRequestsAndExitsZero() throws Exception {
        int web = ProxyProcess.freePort();
        int admin = ProxyProcess.freePort();
        try (ProxyProcess p = start(web, admin, "delay = 1500ms, drain-timeout = 20s")) {
            assertEquals(200, healthz(admin));
            List<Integer> statuses = new ArrayList<>();
            LoadGenerator load = LoadGenerator.start(web, 3, 1_000_000, Duration.ofSeconds(60), "/");
            List<Thread> slow;
            RawHttp idle = new RawHttp(web);
            try {
                assertEquals(200, idle.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
                slow = slowRequests(web, 6, 3000, statuses);
                Await.within(Duration.ofSeconds(20), () -> slowSeen(b1, b2) >= 6);
                assertEquals(6, slowSeen(b1, b2), "slow requests reached the backends");
                long t0 = System.nanoTime();
                p.signal("TERM");
                // an outer balancer sees 503 during the delay and stops sending new traffic
                Await.value(Duration.ofSeconds(10), "healthz to turn 503 after SIGTERM", () -> healthz(admin), h -> h == 503);
                load.stop();
                // the idle keep-alive connection is closed by the proxy, without holding shutdown up
                assertTrue(idle.closedByPeer(), "idle keep-alive connection closed");
                assertEquals(0, p.waitFor(Duration.ofSeconds(40)), p.output());
                long tookMs = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(tookMs < 20_000, "exit well within the drain timeout: " + tookMs + " ms");
            } finally {
                load.stop();
                idle.close();
            }
            for (Thread t : slow) {
                t.join(10_000);
            }
            assertEquals(List.of(200, 200, 200, 200, 200, 200), statuses, p.output());
            assertEquals(0, load.failed(), "failed requests: " + load.failures());
            assertTrue(load.ok() > 0);
            assertTrue(p.output().contains("all connections finished"), p.output());
        }
    }

    @Test
    void workLongerThanTheDrainTimeoutIsCutAndTheProcessStillExitsZero() throws Exception {
        int web = ProxyProcess.freePort();
        int admin = ProxyProcess.freePort();
        try (ProxyProcess p = start(web, admin, "delay = 0s, drain-timeout = 2s")) {
            List<Integer> statuses = new ArrayList<>();
            List<Thread> slow = slowRequests(web, 1, 60_000, statuses);
            Await.within(Duration.ofSeconds(20), () -> slowSeen(b1, b2) >= 1);
            long t0 = System.nanoTime();
            p.signal("TERM");
            assertEquals(0, p.waitFor(Duration.ofSeconds(30)), p.output());
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(tookMs >= 1900 && tookMs < 15_000, "exit after the 2 s drain timeout: " + tookMs + " ms");
            slow.get(0).join(10_000);
            assertEquals(List.of(-1), statuses, "the request that outlived the drain timeout was cut");
            assertTrue(p.output().contains("1 connections still open at the drain timeout"), p.output());
        }
    }
}
