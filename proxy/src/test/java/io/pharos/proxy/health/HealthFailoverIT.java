package io.pharos.proxy.health;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.pharos.health.HealthState;
import io.pharos.health.event.HealthEvent;
import io.pharos.health.testing.Await;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.server.PharosServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole proxy with three real backends and a client in the test: a backend that goes away mid-load
 * costs no client request, active checks take it out and bring it back, POSTs are retried only when
 * safe, a black-holed backend is ejected by timeouts while its GETs are retried; the health events of
 * each scenario are asserted in order.
 */
class HealthFailoverIT {
    @TempDir
    Path tmp;
    private EventLoopGroup backendLoops;
    private final List<RestartableBackend> backends = new ArrayList<>();
    private PharosServer server;
    private final List<HealthEvent> events = new CopyOnWriteArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeEach
    void setUp() throws Exception {
        backendLoops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        for (String name : List.of("b1", "b2", "b3")) {
            backends.add(new RestartableBackend(name, backendLoops));
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) {
            server.close();
        }
        for (RestartableBackend b : backends) {
            b.close();
        }
        backendLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        client.close();
    }

    private void start(String clusterExtra) throws Exception {
        start("http", clusterExtra);
    }

    private void start(String protocol, String clusterExtra) throws Exception {
        StringBuilder list = new StringBuilder();
        for (RestartableBackend b : backends) {
            list.append("{ name = ").append(b.name).append(", address = \"").append(b.address()).append("\" }\n");
        }
        server = PharosServer.start(ConfigLoader.parse("""
                pharos {
                  workers = 2
                  events { region = primary, file = "%s" }
                  listeners = [ { name = web, listen = "127.0.0.1:0", protocol = %s, cluster = app } ]
                  clusters.app {
                    balancer = round-robin
                    backends = [ %s ]
                    %s
                  }
                }
                """.formatted(tmp.resolve("events"), protocol, list, clusterExtra)));
        server.healthEvents().addListener(events::add);
    }

    private Cluster cluster() {
        return server.cluster("app");
    }

    private HealthState state(String backend) {
        return cluster().snapshot().member(backend).state();
    }

    private Backend proxySide(String backend) {
        return cluster().snapshot().member(backend).backend();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.listener("web").localAddress().getPort() + path);
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return client.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Events after the first verdicts (backends leaving {@code unknown}), as compact lines. */
    private List<String> eventLines() {
        return events.stream().filter(e -> !e.oldState().equals("unknown")).map(CapturingPublisher::line).toList();
    }

    /** GETs from a few client threads until stopped (at most 20 000 each), counting failures. */
    private final class Load implements AutoCloseable {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger ok = new AtomicInteger();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final List<Thread> threads = new ArrayList<>();

        Load(int clients) {
            for (int t = 0; t < clients; t++) {
                Thread th = new Thread(() -> {
                    for (int i = 0; i < 20_000 && !stop.get(); i++) {
                        try {
                            HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/load")).GET());
                            if (r.statusCode() == 200) {
                                ok.incrementAndGet();
                            } else {
                                failures.add(r.statusCode() + " " + r.body().trim());
                            }
                        } catch (Exception e) {
                            failures.add(e.toString());
                        }
                    }
                }, "load-" + t);
                th.start();
                threads.add(th);
            }
        }

        void awaitMore(int n) throws InterruptedException {
            int target = ok.get() + n;
            Await.until(Duration.ofSeconds(60), n + " more ok responses", () -> ok.get() >= target || !failures.isEmpty());
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(60));
            }
        }
    }

    @Test
    void backendGoingAwayMidLoadCostsNoRequestAndComesBackAfterRise() throws Exception {
        start("""
                health.active { type = http, path = "/healthz", interval = 300ms, fast-interval = 150ms, timeout = 500ms, rise = 2, fall = 2 }
                """);
        Await.until(Duration.ofSeconds(30), "all healthy", () -> cluster().snapshot().members().stream().allMatch(m -> m.state() == HealthState.HEALTHY));
        RestartableBackend b2 = backends.get(1);
        try (Load load = new Load(4)) {
            load.awaitMore(300);
            long stopped = System.nanoTime();
            b2.stop();
            Await.until(Duration.ofSeconds(30), "b2 marked down", () -> state("b2") == HealthState.UNHEALTHY);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped);
            // interval x fall + jitter is about 0.5 s here; a generous bound for a loaded machine
            assertTrue(tookMs < 10_000, "marked down after " + tookMs + " ms");

            // no request is sent to it any more: the proxy's count of requests to b2 stands still
            Thread.sleep(200);
            long toB2 = proxySide("b2").stats().requests();
            load.awaitMore(300);
            assertEquals(toB2, proxySide("b2").stats().requests(), "requests sent to b2 after it was marked down");

            int servedBefore = b2.requests.get();
            b2.start();
            Await.until(Duration.ofSeconds(30), "b2 healthy again", () -> state("b2") == HealthState.HEALTHY);
            Await.until(Duration.ofSeconds(60), "b2 gets traffic again", () -> b2.requests.get() > servedBefore + 20);
            load.awaitMore(100);
            load.close();
            assertEquals(List.of(), List.copyOf(load.failures), "failed client requests");
            assertTrue(load.ok.get() >= 700, "ok " + load.ok.get());
        }
        Await.until(Duration.ofSeconds(20), "4 events", () -> eventLines().size() >= 4);
        assertEquals(List.of(
                "BACKEND_STATE app/b2 healthy->unhealthy (active check failed: connect refused) 2/3",
                "CLUSTER_HEALTHY_COUNT app 3->2 (healthy backends 3 -> 2) 2/3",
                "BACKEND_STATE app/b2 unhealthy->healthy (active checks passed) 3/3",
                "CLUSTER_HEALTHY_COUNT app 2->3 (healthy backends 2 -> 3) 3/3"), eventLines());
        assertEquals("primary", events.get(0).region());
    }

    @Test
    void postsAreRetriedOnConnectFailuresButNeverReplayedOnceStreamed() throws Exception {
        start("retries { attempts = 3, replay-buffer = 1KiB }");
        RestartableBackend b1 = backends.get(0);
        b1.stop();
        // connect failures: every POST is answered by another backend
        for (int i = 0; i < 12; i++) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/orders")).POST(HttpRequest.BodyPublishers.ofString("order " + i)));
            assertEquals(200, r.statusCode(), r.body());
        }
        assertEquals(0, b1.requests.get());
        assertTrue(proxySide("b1").stats().failures() >= 3, "b1 was tried: " + proxySide("b1").stats().failures());

        b1.start();
        b1.resetRequests = true;
        RestartableBackend b2 = backends.get(1);
        RestartableBackend b3 = backends.get(2);
        // each kind of request until three of them went to b1 (round robin: about every third)
        for (int kind = 0; kind < 3; kind++) {
            int toB1 = 0;
            for (int i = 0; i < 30 && toB1 < 3; i++) {
                int atB1 = b1.requests.get();
                int elsewhere = b2.requests.get() + b3.requests.get();
                HttpRequest.Builder req = switch (kind) {
                    case 0 -> HttpRequest.newBuilder(uri("/orders")).POST(HttpRequest.BodyPublishers.ofString("small order"));
                    case 1 -> HttpRequest.newBuilder(uri("/blob")).PUT(HttpRequest.BodyPublishers.ofString("x".repeat(4096)));
                    default -> HttpRequest.newBuilder(uri("/items")).GET();
                };
                HttpResponse<String> r = send(req);
                int servedElsewhere = b2.requests.get() + b3.requests.get() - elsewhere;
                if (b1.requests.get() == atB1) {
                    assertEquals(200, r.statusCode(), r.body());
                    continue;
                }
                toB1++;
                if (kind == 2) {
                    // idempotent and bodyless: retried on another backend
                    assertEquals(200, r.statusCode(), r.body());
                    assertEquals(1, servedElsewhere, "GET retried once");
                } else {
                    // a POST is not idempotent; the PUT's 4 KiB body outgrew the 1 KiB replay buffer:
                    // the body already went to b1, which reset, so no replay and a 502
                    assertEquals(502, r.statusCode(), r.body());
                    assertEquals(0, servedElsewhere, "request replayed");
                }
            }
            assertEquals(3, toB1, "requests of kind " + kind + " that went to b1");
        }
    }

    @Test
    void gatewayErrorsAreRetriedOnEachBackendOnceWithinAttempts() throws Exception {
        for (RestartableBackend b : backends) {
            b.status = 503;
        }
        backends.get(2).status = 200;
        start("retries { attempts = 3 }");
        int answeredByB3 = 0;
        for (int i = 0; i < 15; i++) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/gw")).header("x-request-id", "r" + i).GET());
            // b3 answers 200: every GET ends there, after at most two 503s elsewhere
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("b3", r.body());
            answeredByB3++;
        }
        assertEquals(15, answeredByB3);
        // every try after a request's first is a retry, counted on the backend it went to
        long tries = backends.stream().mapToLong(b -> b.requestIds.size()).sum();
        long retries = backends.stream().mapToLong(b -> proxySide(b.name).stats().retries()).sum();
        assertEquals(tries - 15, retries, "pharos_backend_retries_total counts every retry");
        assertTrue(retries > 0, "GETs needed retries: " + retries);
        for (RestartableBackend b : backends) {
            assertEquals(b.requestIds.stream().distinct().count(), b.requestIds.size(), b.name + " saw a request twice");
        }
        // the last try's answer goes to the client when every backend fails
        backends.get(2).status = 503;
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/gw")).header("x-request-id", "all").GET());
        assertEquals(503, r.statusCode());
        for (RestartableBackend b : backends) {
            assertEquals(1, b.requestIds.stream().filter("all"::equals).count(), b.name);
        }
    }

    @Test
    void anEmptyRetryBudgetStopsRetriesButNotConnectFailover() throws Exception {
        for (RestartableBackend b : backends) {
            b.status = 503;
        }
        start("retries { attempts = 3, budget-percent = 0, min-concurrent = 0 }");
        for (int i = 0; i < 9; i++) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/gw")).header("x-request-id", "r" + i).GET());
            assertEquals(503, r.statusCode());
        }
        assertEquals(9, backends.stream().mapToInt(b -> b.requestIds.size()).sum(), "no retry without budget");
        // connect failures do not need the budget
        for (RestartableBackend b : backends) {
            b.status = 200;
        }
        backends.get(0).stop();
        for (int i = 0; i < 9; i++) {
            assertEquals(200, send(HttpRequest.newBuilder(uri("/ok")).GET()).statusCode());
        }
        assertTrue(proxySide("b1").stats().failures() >= 3, "b1 tried: " + proxySide("b1").stats().failures());
    }

    @Test
    void tcpListenerRetriesConnectFailuresAndTheyEjectTheBackend() throws Exception {
        RestartableBackend b1 = backends.get(0);
        b1.stop();
        start("tcp", """
                health.passive { consecutive-failures = 2, base-ejection-time = 60s, max-ejection-percent = 50 }
                retries { attempts = 3 }
                """);
        int port = server.listener("web").localAddress().getPort();
        int n = 0;
        while (state("b1") != HealthState.EJECTED) {
            assertTrue(n++ < 30, "b1 not ejected after " + n + " connections");
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(20_000);
                s.getOutputStream().write("GET /tcp HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
            }
        }
        assertTrue(proxySide("b1").stats().failures() >= 2);
        Await.until(Duration.ofSeconds(20), "ejection events", () -> events.size() >= 2);
        assertEquals(List.of(
                "BACKEND_STATE app/b1 unknown->ejected (ejected: 2 consecutive gateway failures (for 60000 ms)) 2/3",
                "CLUSTER_HEALTHY_COUNT app 3->2 (healthy backends 3 -> 2) 2/3"),
                events.stream().map(CapturingPublisher::line).toList());
    }

    @Test
    void blackHoledBackendIsEjectedByTimeoutsWhileItsGetsAreRetried() throws Exception {
        RestartableBackend b3 = backends.get(2);
        b3.blackHole = true;
        start("""
                health.passive { consecutive-failures = 2, base-ejection-time = 60s, max-ejection-percent = 50 }
                timeouts { request = 3s }
                retries { attempts = 2 }
                """);
        int n = 0;
        while (state("b3") != HealthState.EJECTED) {
            assertTrue(n++ < 30, "b3 not ejected after " + n + " GETs");
            long t0 = System.nanoTime();
            HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/page")).GET());
            // answered by another backend inside the request timeout (a 504 would mean no retry)
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(!r.body().equals("b3"));
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30));
        }
        assertEquals(2, b3.requests.get(), "b3 saw exactly the two timed-out GETs");
        for (int i = 0; i < 20; i++) {
            assertEquals(200, send(HttpRequest.newBuilder(uri("/page")).GET()).statusCode());
        }
        assertEquals(2, b3.requests.get(), "no request reaches an ejected backend");
        Await.until(Duration.ofSeconds(20), "ejection events", () -> events.size() >= 2);
        assertEquals(List.of(
                "BACKEND_STATE app/b3 unknown->ejected (ejected: 2 consecutive gateway failures (for 60000 ms)) 2/3",
                "CLUSTER_HEALTHY_COUNT app 3->2 (healthy backends 3 -> 2) 2/3"),
                events.stream().map(CapturingPublisher::line).toList());
    }
}
