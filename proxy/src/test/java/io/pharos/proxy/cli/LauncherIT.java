package io.pharos.proxy.cli;

import io.pharos.health.testing.Await;
import io.pharos.health.testing.PomVersion;
import io.pharos.proxy.continuity.journal.Journal;
import io.pharos.proxy.continuity.journal.JournalRecord;
import io.pharos.proxy.continuity.journal.JournalSettings;
import io.pharos.proxy.testing.ProxyProcess;
import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bin/pharos} as a user runs it, on the jars this build packaged. */
class LauncherIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private record Result(int exit, String output) {
    }

    private static Result run(Duration timeout, String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = ROOT.resolve("bin/pharos").toString();
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true).start();
        try {
            assertTrue(p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS), "bin/pharos finished in time");
            return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes()));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void checkAcceptsTheExampleConfig() throws Exception {
        Result r = run(Duration.ofSeconds(60), "check", "-c", "conf/pharos.conf");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("is valid"), r.output());
    }

    @Test
    void journalDumpPrintsAJournal() throws Exception {
        Path dir = Files.createTempDirectory("pharos-journal");
        try {
            try (Journal j = Journal.openFile(dir, JournalSettings.defaults())) {
                j.append(JournalRecord.unsequenced("eu-west", "kv", 1, "tenant-a", "idem-1", "PUT", "/kv/a", List.of(),
                        "hello".getBytes(StandardCharsets.UTF_8), 204, null, null)).get(10, TimeUnit.SECONDS);
            }
            Result r = run(Duration.ofSeconds(60), "journal", "dump", dir.toString());
            assertEquals(0, r.exit(), r.output());
            assertTrue(r.output().contains("sequences 1..1, confirmed 0"), r.output());
            assertTrue(r.output().contains("origin=eu-west/1 cluster=kv key=tenant-a idem=idem-1 PUT /kv/a status=204 body=5B \"hello\""), r.output());
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    @Test
    void brokenConfigExitsTwoWithOneLinePerProblem() throws Exception {
        Path bad = Files.createTempFile("pharos-bad", ".conf");
        try {
            Files.writeString(bad, "pharos {\n listeners = [ { name = web, listen = \"127.0.0.1:8080\", cluster = missing } ]\n"
                    + " clusters { app { balancer = fastest, backends = [ { name = a, address = \"no-port\" } ] } }\n}\n");
            Result r = run(Duration.ofSeconds(60), "proxy", "-c", bad.toString());
            assertEquals(2, r.exit(), r.output());
            assertTrue(r.output().contains("pharos.clusters.app.balancer: unknown value 'fastest'"), r.output());
            assertTrue(r.output().contains("pharos.clusters.app.backends[0].address: bad address 'no-port'"), r.output());
            assertTrue(r.output().contains("pharos.listeners[0].cluster: no cluster named 'missing'"), r.output());
        } finally {
            Files.deleteIfExists(bad);
        }
        Result usage = run(Duration.ofSeconds(60), "frobnicate");
        assertEquals(2, usage.exit());
        assertTrue(usage.output().contains("usage: pharos proxy -c FILE"), usage.output());
    }

    /**
     * {@code bin/pharos demo}: round-robin over three backends, and its admin API on the port it prints:
     * {@code /status} names the build's version and a drain through it takes demo-2 out; {@code -v} prints
     * Pharos's debug lines.
     */
    @Test
    void demoBalancesOverThreeBackendsServesItsAdminApiAndStopsOnSigterm() throws Exception {
        int port = ProxyProcess.freePort();
        int adminPort = ProxyProcess.freePort();
        Path log = Files.createTempFile("pharos-demo", ".log");
        Process p = new ProcessBuilder(ROOT.resolve("bin/pharos").toString(), "demo", "--port", Integer.toString(port),
                "--admin-port", Integer.toString(adminPort), "-v")
                .directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            Set<String> names = new HashSet<>();
            Await.until(Duration.ofSeconds(60), "answers from three demo backends", () -> {
                try {
                    names.add(demoBackendOf(client, port));
                } catch (java.io.IOException notYet) {
                    assertTrue(p.isAlive(), "demo exited early: " + Files.readString(log));
                }
                return names.size() >= 3;
            });
            assertEquals(Set.of("demo-1", "demo-2", "demo-3"), names);

            String admin = "http://127.0.0.1:" + adminPort;
            String version = PomVersion.of(ROOT);
            String out = Files.readString(log);
            assertTrue(out.contains("pharos demo: admin API on " + admin + "/"), out);
            assertTrue(out.contains("FINE io.pharos.proxy.Main: pharos " + version + ", log levels io.pharos=FINE"), out);
            HttpResponse<String> status = client.send(HttpRequest.newBuilder(URI.create(admin + "/status")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, status.statusCode());
            assertTrue(status.body().startsWith("{\"version\":\"" + version + "\","), status.body());
            HttpResponse<String> drain = client.send(HttpRequest.newBuilder(URI.create(admin + "/clusters/app/backends/demo-2/drain"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, drain.statusCode(), drain.body());
            Set<String> afterDrain = new HashSet<>();
            for (int i = 0; i < 6; i++) {
                afterDrain.add(demoBackendOf(client, port));
            }
            assertEquals(Set.of("demo-1", "demo-3"), afterDrain);

            assertExitsZeroOnSigterm(p, "demo", log);
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }

    /** One GET through the demo proxy; the name of the backend that answered. */
    private static String demoBackendOf(HttpClient client, int port) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body().split(" ")[2];
    }

    /** {@code bin/pharos --version} prints the build's version, and every jar this build packaged carries it in its manifest. */
    @Test
    void versionIsTheBuildsVersion() throws Exception {
        String version = PomVersion.of(ROOT);
        Result r = run(Duration.ofSeconds(60), "--version");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().startsWith("pharos " + version + "\njava "), r.output());
        for (String module : List.of("health", "proxy")) {
            Path jar = ROOT.resolve(module + "/target/pharos-" + module + "-" + version + ".jar");
            try (JarFile j = new JarFile(jar.toFile())) {
                assertEquals(version, j.getManifest().getMainAttributes().getValue("Implementation-Version"), jar.toString());
            }
        }
    }

    /** {@code bin/pharos COMMAND --help}: exit 0 and the command's own usage, options and exit codes on stdout. */
    @Test
    void everyCommandExplainsItself() throws Exception {
        for (String command : List.of("proxy", "check", "demo", "demo continuity", "events", "journal", "kv")) {
            List<String> args = new java.util.ArrayList<>(List.of(command.split(" ")));
            args.add("--help");
            Result r = run(Duration.ofSeconds(60), args.toArray(String[]::new));
            assertEquals(0, r.exit(), command + ": " + r.output());
            assertTrue(r.output().startsWith("usage: pharos " + command), command + ": " + r.output());
            assertTrue(r.output().contains("\nexit: "), command + ": " + r.output());
        }
        Result top = run(Duration.ofSeconds(60), "--help");
        assertEquals(0, top.exit(), top.output());
        assertTrue(top.output().contains("pharos --version") && top.output().contains("--log-level SPEC"), top.output());
    }

    @Test
    void aBadLogLevelExitsTwoNamingIt() throws Exception {
        Result r = run(Duration.ofSeconds(60), "check", "-c", "conf/pharos.conf", "--log-level", "loud");
        assertEquals(2, r.exit(), r.output());
        assertTrue(r.output().contains("pharos: --log-level: unknown level 'loud' (expected: off, error, warn, info, debug, trace)"), r.output());
    }

    /** {@code bin/pharos demo continuity}: a write to region zurich is read back from region frankfurt. */
    @Test
    void continuityDemoReplicatesAWriteToTheOtherRegion() throws Exception {
        int port = ProxyProcess.freePort();
        Process p = new ProcessBuilder(ROOT.resolve("bin/pharos").toString(), "demo", "continuity", "--port", Integer.toString(port))
                .directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            Await.until(Duration.ofSeconds(60), "a write in zurich", () -> {
                try {
                    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/kv/greeting"))
                            .PUT(HttpRequest.BodyPublishers.ofString("hello")).timeout(Duration.ofSeconds(5)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    return r.statusCode() == 201;
                } catch (java.io.IOException notYet) {
                    assertTrue(p.isAlive(), "demo exited early");
                    return false;
                }
            });
            Await.until(Duration.ofSeconds(30), "the write read back in frankfurt", () -> {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (port + 1) + "/kv/greeting"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                return r.statusCode() == 200 && r.body().contains("hello");
            });
            new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "demo stopped on SIGTERM");
            assertEquals(0, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
    }

    /** {@code bin/pharos kv}: the ready line, a write and its read back, its own heap default, exit 0 on SIGTERM. */
    @Test
    void kvServesAStoreAndStopsOnSigterm() throws Exception {
        Path store = Files.createTempDirectory("pharos-kv");
        Path log = Files.createTempFile("pharos-kv", ".log");
        Process p = new ProcessBuilder(ROOT.resolve("bin/pharos").toString(), "kv", "--listen", "127.0.0.1:0", "--store",
                store.toString(), "--name", "app-1").directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            String ready = Await.value(Duration.ofSeconds(60), "the kv app's ready line", () -> {
                assertTrue(p.isAlive(), "bin/pharos kv exited: " + Files.readString(log));
                return Files.readString(log);
            }, out -> out.contains(" listening on "));
            String address = ready.substring(ready.indexOf("kv app-1 listening on 127.0.0.1:") + "kv app-1 listening on ".length()).trim();
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            HttpResponse<String> put = client.send(HttpRequest.newBuilder(URI.create("http://" + address + "/kv/greeting"))
                    .PUT(HttpRequest.BodyPublishers.ofString("hello")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(201, put.statusCode(), put.body());
            HttpResponse<String> get = client.send(HttpRequest.newBuilder(URI.create("http://" + address + "/kv/greeting")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(get.body().contains("\"values\":[\"hello\"]"), get.body());
            String args = jvmArguments(p);
            assertTrue(args.contains("-Xmx256m") && !args.contains("-Xms256m"), args);
            assertExitsZeroOnSigterm(p, "kv", log);
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(log);
            try (var files = Files.walk(store)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
    }

    /** A user's heap settings in JAVA_OPTS replace the launcher's defaults whole (-Xmx64m below the default -Xms256m). */
    @Test
    void javaOptsHeapLimitBelowTheDefaultInitialHeapStartsTheProxy() throws Exception {
        int web = ProxyProcess.freePort();
        int admin = ProxyProcess.freePort();
        Path conf = Files.createTempFile("pharos-heap", ".conf");
        Files.writeString(conf, "pharos {\n workers = 1\n admin { listen = \"127.0.0.1:" + admin + "\" }\n"
                + " listeners = [ { name = web, listen = \"127.0.0.1:" + web + "\", protocol = http, cluster = app } ]\n"
                + " clusters { app { backends = [ { name = a, address = \"127.0.0.1:1\" } ] } }\n}\n");
        Path log = Files.createTempFile("pharos-heap", ".log");
        ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("bin/pharos").toString(), "proxy", "-c", conf.toString())
                .directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("JAVA_OPTS", "-Xmx64m");
        Process p = pb.start();
        try {
            // the admin listener starts last, just before the SIGTERM handler is installed
            Await.until(Duration.ofSeconds(60), "the proxy to listen on " + web + " and its admin API on " + admin, () -> {
                assertTrue(p.isAlive(), "bin/pharos exited: " + Files.readString(log));
                return accepts(web) && accepts(admin);
            });
            String args = jvmArguments(p);
            assertTrue(args.contains("-Xmx64m") && !args.contains("-Xms256m") && !args.contains("-Xmx512m"), args);
            assertExitsZeroOnSigterm(p, "proxy", log);
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(conf);
            Files.deleteIfExists(log);
        }
    }

    /** The JVM's command-line arguments (what the launcher passed), space-separated. */
    private static String jvmArguments(Process p) {
        return String.join(" ", ProcessHandle.of(p.pid()).flatMap(h -> h.info().arguments()).map(List::of).orElse(List.of()));
    }

    /** Sends SIGTERM and expects exit code 0 within 20 s; {@code log} holds the process output for the message. */
    private static void assertExitsZeroOnSigterm(Process p, String what, Path log) throws Exception {
        new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), what + " stopped on SIGTERM");
        assertEquals(0, p.exitValue(), Files.readString(log));
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (java.io.IOException notYet) {
            return false;
        }
    }
}
