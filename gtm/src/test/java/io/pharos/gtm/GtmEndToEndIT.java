package io.pharos.gtm;

import io.pharos.health.testing.Await;
import io.pharos.proxy.testing.ProxyProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

import static org.junit.jupiter.api.Assertions.*;

/**
 * Cross-region failover over real processes on loopback: region "primary" is a proxy on 127.0.0.2
 * with two backends, region "secondary" the same on 127.0.0.3, one real BIND, and the GTM sidecar
 * ({@link GtmMain}) reading the primary proxy's event file. Prints the time from each failure to
 * the new answer served by BIND.
 */
class GtmEndToEndIT {
    private static final String APP = "app.example.test.";
    private static final String STATE = "_pharos.app.example.test.";
    private static final List<String> JVM = List.of("--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx128m");

    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Outputs of the processes started so far, for failure messages. */
    private final List<ProxyProcess> processes = new ArrayList<>();

    /** {@link Await#until} for a minute; a timeout also shows the output of every process started. */
    private void await(String what, Await.Condition condition) throws Exception {
        try {
            Await.until(Duration.ofSeconds(60), what, condition);
        } catch (AssertionError timedOut) {
            StringBuilder out = new StringBuilder(String.valueOf(timedOut.getMessage()));
            for (ProxyProcess p : processes) {
                out.append("\n--- pid ").append(p.pid()).append(" ---\n").append(p.output());
            }
            throw new AssertionError(out.toString(), timedOut);
        }
    }

    private ProxyProcess start(String... args) throws Exception {
        ProxyProcess p = ProxyProcess.start(JVM, args);
        processes.add(p);
        return p;
    }

    private ProxyProcess startSidecar(Path config) throws Exception {
        ProxyProcess p = ProxyProcess.startMain(GtmMain.class.getName(), JVM, "-c", config.toString());
        processes.add(p);
        return p;
    }

    private static boolean dnsIs(BindServer bind, String address, String state) {
        try {
            return bind.addresses(APP).equals(List.of(address)) && bind.txt(STATE).equals(List.of(state));
        } catch (Exception e) {
            return false;
        }
    }

    private int status(String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private String body(String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            return "";
        }
    }

    private Path proxyConfig(String region, String host, int port, RegionServer b1, RegionServer b2, Path events)
            throws Exception {
        Path conf = dir.resolve("proxy-" + region + ".conf");
        Files.writeString(conf, """
                pharos {
                  workers = 1
                  admin { listen = "127.0.0.1:%d" }
                  events { file = "%s", region = %s }
                  listeners = [ { name = web, listen = "%s:%d", protocol = http, cluster = app } ]
                  clusters {
                    app {
                      balancer = round-robin
                      backends = [ { name = app-1, address = "%s" }, { name = app-2, address = "%s" } ]
                      health {
                        active { type = http, path = "/healthz", interval = 300ms, fast-interval = 200ms, timeout = 1s, rise = 2, fall = 2 }
                      }
                    }
                  }
                }
                """.formatted(ProxyProcess.freePort(), events, region, host, port, b1.address(), b2.address()));
        return conf;
    }

    private Path sidecarConfig(String name, BindServer bind, int primaryPort, int secondaryPort, Path events,
                               String interval, int adminPort) throws Exception {
        Path key = dir.resolve("gtm.key");
        Files.writeString(key, bind.secret + "\n");
        Path conf = dir.resolve(name + ".conf");
        Files.writeString(conf, """
                gtm {
                  names = ["app.example.test"]
                  ttl = 5s
                  regions = [
                    { name = primary, addresses = ["127.0.0.2"], probe { type = http, url = "http://127.0.0.2:%d/healthz" },
                      events-file = "%s" }
                    { name = secondary, addresses = ["127.0.0.3"], probe { type = http, url = "http://127.0.0.3:%d/healthz" } }
                  ]
                  interval = %s
                  fast-interval = 250ms
                  timeout = 1s
                  failure-threshold = 3
                  recovery-threshold = 3
                  min-hold = 2s
                  failback = auto
                  dns {
                    servers = ["127.0.0.1:%d"]
                    zone = "example.test"
                    retry-initial = 100ms
                    retry-max = 1s
                    tsig { name = "%s", secret-file = "%s" }
                  }
                  admin { listen = "127.0.0.1:%d" }
                }
                """.formatted(primaryPort, events, secondaryPort, interval, bind.port, BindServer.KEY_NAME, key, adminPort));
        return conf;
    }

    @Test
    void proxyEventsAndSidecarProbesMoveTheDnsAnswerBetweenRegions() throws Exception {
        List<AutoCloseable> open = new ArrayList<>();
        BindServer bind = BindServer.start(dir, "127.0.0.2");
        try {
            RegionServer p1 = new RegionServer("127.0.0.2").start();
            RegionServer p2 = new RegionServer("127.0.0.2").start();
            RegionServer s1 = new RegionServer("127.0.0.3").start();
            RegionServer s2 = new RegionServer("127.0.0.3").start();
            open.addAll(List.of(p1, p2, s1, s2));
            int primaryPort = ProxyProcess.freePort();
            int secondaryPort = ProxyProcess.freePort();
            Path events = dir.resolve("events-primary");
            ProxyProcess primary = start("proxy", "-c",
                    proxyConfig("primary", "127.0.0.2", primaryPort, p1, p2, events).toString());
            open.add(primary);
            ProxyProcess secondary = start("proxy", "-c",
                    proxyConfig("secondary", "127.0.0.3", secondaryPort, s1, s2, dir.resolve("events-secondary")).toString());
            open.add(secondary);
            await("both proxies serve", () -> status("http://127.0.0.2:" + primaryPort + "/healthz") == 200
                    && status("http://127.0.0.3:" + secondaryPort + "/healthz") == 200);

            // interval 120s: without the proxy's cluster-down event, 3 failed rounds would take minutes
            int admin = ProxyProcess.freePort();
            ProxyProcess sidecar = startSidecar(sidecarConfig("gtm-slow", bind, primaryPort, secondaryPort, events, "120s", admin));
            open.add(sidecar);
            String statusUrl = "http://127.0.0.1:" + admin + "/status";
            await("the sidecar writes the first state", () -> dnsIs(bind, "127.0.0.2", "epoch=1 region=primary"));
            await("the sidecar hears the primary proxy", () -> body(statusUrl).contains("\"view\":\"up\""));

            long t0 = System.nanoTime();
            p1.stop();
            p2.stop();
            await("(1) both primary backends down -> secondary", () -> dnsIs(bind, "127.0.0.3", "epoch=2 region=secondary"));
            System.out.printf("(1) primary backends killed -> cluster-down event -> BIND answers secondary in %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            assertTrue(sidecar.output().contains("proxy of primary says: CLUSTER_DOWN primary:app"), sidecar.output());

            t0 = System.nanoTime();
            p1.start();
            p2.start();
            await("(2) backends back -> auto failback after M rounds and min-hold", () -> dnsIs(bind, "127.0.0.2", "epoch=3 region=primary"));
            System.out.printf("(2) primary backends restored -> BIND answers primary again in %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            sidecar.close();
            processes.remove(sidecar);

            int admin2 = ProxyProcess.freePort();
            ProxyProcess sidecar2 = startSidecar(sidecarConfig("gtm-fast", bind, primaryPort, secondaryPort, events, "1s", admin2));
            open.add(sidecar2);
            String status2 = "http://127.0.0.1:" + admin2 + "/status";
            await("a restarted sidecar continues from the DNS state",
                    () -> body(status2).contains("\"active\":\"primary\",\"epoch\":3,"));

            t0 = System.nanoTime();
            primary.signal("KILL");
            await("(3) primary proxy dead -> secondary", () -> dnsIs(bind, "127.0.0.3", "epoch=4 region=secondary"));
            System.out.printf("(3) primary proxy killed -> sidecar probes -> BIND answers secondary in %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            await("the dead proxy's heartbeat is stale: unknown, not down", () -> body(status2).contains("\"view\":\"unknown\""));

            secondary.signal("KILL");
            await("(4) every region down -> alert", () -> body(status2).contains("\"alert\":\"every region is down; keeping secondary"));
            assertTrue(dnsIs(bind, "127.0.0.3", "epoch=4 region=secondary"), "the answer is kept");
            System.out.println("(4) both regions down: answer kept (" + bind.addresses(APP) + ", " + bind.txt(STATE) + "), alert raised");
        } finally {
            for (AutoCloseable c : open.reversed()) {
                c.close();
            }
            bind.stop();
        }
    }
}
