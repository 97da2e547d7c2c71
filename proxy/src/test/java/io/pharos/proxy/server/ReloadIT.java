package io.pharos.proxy.server;

import io.netty.channel.EventLoopGroup;
import io.pharos.health.testing.Await;
import io.pharos.proxy.testing.LoadGenerator;
import io.pharos.proxy.testing.ProxyProcess;
import io.pharos.proxy.testing.RawHttp;
import io.pharos.proxy.testing.RuntimeHarness;
import io.pharos.proxy.testing.TestBackend;
import io.pharos.proxy.transport.Transport;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGHUP reloads of a proxy JVM under continuous load (keep-alive and new connections, GET and POST):
 * 50 reloads alternating between two valid configs (weights change, a backend comes and goes) drop
 * no request and reset no connection; then an invalid config is rejected, the old one keeps serving,
 * and the error shows in {@code /status} and the log.
 */
class ReloadIT {
    private static final Pattern RELOADS = Pattern.compile("\"reloads\":\\{\"ok\":(\\d+),\"failed\":(\\d+)}");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static String config(int webPort, int adminPort, List<TestBackend> backends, int[] weights, String clusterExtra) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < backends.size(); i++) {
            b.append("      { name = ").append(backends.get(i).name()).append(", address = \"").append(backends.get(i).address())
                    .append("\", weight = ").append(weights[i]).append(" }\n");
        }
        return "pharos {\n  workers = 2\n"
                + "  admin { listen = \"127.0.0.1:" + adminPort + "\" }\n"
                + "  shutdown { delay = 0s, drain-timeout = 5s }\n"
                + "  listeners = [ { name = web, listen = \"127.0.0.1:" + webPort + "\", protocol = http, cluster = app } ]\n"
                + "  clusters { app {\n" + clusterExtra + "\n    backends = [\n" + b + "    ]\n  } }\n}\n";
    }

    private static void write(Path file, String text) throws Exception {
        Path tmp = Files.createTempFile(file.getParent(), "next", ".conf");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private String status(int adminPort) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/status"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    /** Polls /status until the reload counters reach (ok, failed). */
    private String awaitReloads(ProxyProcess p, int adminPort, long ok, long failed) throws Exception {
        String[] s = {""};
        boolean reached = Await.within(Duration.ofSeconds(30), () -> {
            s[0] = status(adminPort);
            Matcher m = RELOADS.matcher(s[0]);
            assertTrue(m.find(), s[0]);
            return Long.parseLong(m.group(1)) == ok && Long.parseLong(m.group(2)) == failed;
        });
        if (!reached) {
            throw new AssertionError("reloads did not reach ok=" + ok + " failed=" + failed + ": " + s[0] + "\n" + p.output());
        }
        return s[0];
    }

    @Test
    void fiftyReloadsUnderLoadDropNothingAndAnInvalidConfigKeepsTheOldOne() throws Exception {
        EventLoopGroup group = Transport.best().newGroup(1, "test-backends");
        TestBackend b1 = TestBackend.start("b1", group);
        TestBackend b2 = TestBackend.start("b2", group);
        TestBackend b3 = TestBackend.start("b3", group);
        Path dir = Files.createTempDirectory("pharos-reload");
        Path file = dir.resolve("pharos.conf");
        int web = ProxyProcess.freePort();
        int admin = ProxyProcess.freePort();
        String configA = config(web, admin, List.of(b1, b2), new int[] {100, 100}, "");
        String configB = config(web, admin, List.of(b1, b2, b3), new int[] {50, 100, 100}, "");
        write(file, configA);
        ProxyProcess p = ProxyProcess.start(List.of("-Xmx256m"), "proxy", "-c", file.toString());
        LoadGenerator load = null;
        try {
            p.awaitPort(web, Duration.ofSeconds(60));
            p.awaitPort(admin, Duration.ofSeconds(60));
            load = LoadGenerator.start(web, 4, 1_000_000, Duration.ofSeconds(150), "/");
            int b3During = 0;
            for (int i = 1; i <= 50; i++) {
                write(file, i % 2 == 1 ? configB : configA);
                p.signal("HUP");
                awaitReloads(p, admin, i, 0);
                if (i % 2 == 1) {
                    // while b3 is in the config, let it take some requests before it goes again
                    int before = b3.requests();
                    Await.within(Duration.ofSeconds(10), () -> b3.requests() != before);
                    b3During += b3.requests() - before;
                }
            }
            assertTrue(b3During >= 25, "b3 took traffic while configured: " + b3During);
            // requests picked for b3 just before the last swap may still be on their way: let them land
            int b3After = RuntimeHarness.stableRequests(b3);

            String invalid = configA.replace("clusters { app {\n", "clusters { app {\n    balancer = fastest\n    colour = blue\n");
            write(file, invalid);
            p.signal("HUP");
            String s = awaitReloads(p, admin, 50, 1);
            assertTrue(s.contains("\"result\":\"failed\""), s);
            assertTrue(s.contains("pharos.clusters.app.balancer: unknown value 'fastest'"), s);
            assertTrue(s.contains("pharos.clusters.app.colour"), s);
            LoadGenerator running = load;
            long okBefore = running.ok();
            Await.within(Duration.ofSeconds(20), () -> running.ok() >= okBefore + 300);
            load.stop();
            assertEquals(0, load.failed(), "failed requests: " + load.failures());
            assertEquals(0, load.refused(), "refused connections");
            assertTrue(load.ok() >= okBefore + 300, "the old config keeps serving after the invalid reload: " + load.ok());
            assertEquals(b3After, b3.requests(), "b3 was removed by the last valid config and stays removed");
            try (RawHttp c = new RawHttp(web)) {
                assertEquals(200, c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
            }
            String log = p.output();
            assertTrue(log.contains("reload failed, old config kept: pharos.clusters.app.balancer: unknown value 'fastest'"), log);
            assertTrue(p.isAlive(), log);
        } finally {
            if (load != null) {
                load.stop();
            }
            p.close();
            b1.close();
            b2.close();
            b3.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }
}
