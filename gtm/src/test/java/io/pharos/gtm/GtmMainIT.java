package io.pharos.gtm;

import io.pharos.health.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** {@code pharos gtm -c FILE} as a real process: an invalid config exits 2 with one line per problem. */
class GtmMainIT {
    @TempDir
    Path dir;

    /** Starts GtmMain with {@code args}; its stderr goes to {@code dir/<name>.err} (read with {@link #err}). */
    private static Process run(Path dir, String name, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), GtmMain.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectError(dir.resolve(name + ".err").toFile())
                .redirectOutput(dir.resolve(name + ".out").toFile()).start();
    }

    private static String err(Path dir, String name) throws java.io.IOException {
        return Files.readString(dir.resolve(name + ".err"), StandardCharsets.UTF_8);
    }

    @Test
    void invalidConfigExitsTwoWithOneLinePerProblem() throws Exception {
        Path conf = dir.resolve("gtm.conf");
        Files.writeString(conf, GtmConfigLoaderTest.minimal("failure-threshold = 4, recovery-threshold = 2, colour = blue",
                "").replace("secret-env = \"PHAROS_TSIG_SECRET\"", "secret-env = \"PHAROS_TEST_UNSET_VARIABLE\", algorithm = hmac-md5"));
        Process p = run(dir, "bad", "-c", conf.toString());
        try {
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "exits");
            String err = err(dir, "bad");
            assertEquals(2, p.exitValue(), err);
            List<String> lines = err.lines().toList();
            assertEquals("pharos gtm: invalid config " + conf + " (4 problems):", lines.get(0), err);
            assertTrue(lines.contains("gtm.colour: unknown key"), err);
            assertTrue(lines.contains("gtm.recovery-threshold: 2 is below failure-threshold 4 (expected >= it)"), err);
            assertTrue(lines.contains("gtm.dns.tsig.algorithm: hmac-md5 is refused (broken); use hmac-sha256"), err);
            assertTrue(lines.contains("gtm.dns.tsig.secret-env: environment variable PHAROS_TEST_UNSET_VARIABLE is not set"), err);
            assertEquals(5, lines.size(), err);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void runsAsAProcessAgainstBindAndStopsOnSigterm() throws Exception {
        BindServer bind = BindServer.start(dir, "127.0.0.2");
        RegionServer primary = new RegionServer("127.0.0.2").start();
        RegionServer secondary = new RegionServer("127.0.0.3").start();
        Process p = null;
        try {
            int adminPort;
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
                adminPort = s.getLocalPort();
            }
            Path key = dir.resolve("gtm.key");
            Files.writeString(key, bind.secret + "\n");
            String text = """
                    gtm {
                      names = ["app.example.test"]
                      regions = [
                        { name = primary, addresses = ["127.0.0.2"], probe { type = http, url = "%s" } }
                        { name = secondary, addresses = ["127.0.0.3"], probe { type = tcp, address = "%s" } }
                      ]
                      interval = 200ms
                      timeout = 2s
                      failure-threshold = 2
                      recovery-threshold = 2
                      dns {
                        servers = ["127.0.0.1:%d"]
                        zone = "example.test"
                        tsig { name = "%s", secret-file = "%s" }
                      }
                      admin { listen = "127.0.0.1:%d" }
                    }
                    """.formatted(primary.url(), secondary.url().replace("http://", "").replace("/healthz", ""),
                    bind.port, BindServer.KEY_NAME, key, adminPort);
            Path conf = dir.resolve("gtm-ok.conf");
            Files.writeString(conf, text);
            Process sidecar = run(dir, "ok", "-c", conf.toString());
            p = sidecar;
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            // one minute for both waits together
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            Await.value(Duration.ofNanos(deadline - System.nanoTime()), "a status with primary active", () -> {
                if (!sidecar.isAlive()) {
                    fail("sidecar exited with " + sidecar.exitValue() + ": " + err(dir, "ok"));
                }
                try {
                    return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + adminPort + "/status")).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                } catch (java.io.IOException notYet) {
                    return "";
                }
            }, status -> status.contains("\"active\":\"primary\",\"epoch\":1"));
            assertEquals(List.of("epoch=1 region=primary"), bind.txt("_pharos.app.example.test."));
            primary.stop();
            Await.value(Duration.ofNanos(deadline - System.nanoTime()), "failover to secondary",
                    () -> bind.addresses("app.example.test."), a -> a.equals(List.of("127.0.0.3")));
            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "stops on SIGTERM");
            assertEquals(0, p.exitValue(), "SIGTERM is a clean stop");
            String err = err(dir, "ok");
            assertFalse(err.contains(bind.secret), "the secret is never logged");
            assertTrue(err.contains("decision: switch primary -> secondary"), err);
        } finally {
            if (p != null) {
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
            }
            primary.close();
            secondary.close();
            bind.stop();
        }
    }

    @Test
    void missingFileAndBadArgumentsExitTwo() throws Exception {
        Process missing = run(dir, "missing", "-c", dir.resolve("nope.conf").toString());
        Process usage = run(dir, "usage", "--what");
        try {
            assertTrue(missing.waitFor(60, TimeUnit.SECONDS));
            assertEquals(2, missing.exitValue());
            assertTrue(err(dir, "missing").contains("nope.conf (1 problem):\nconfig file not found"), err(dir, "missing"));
            assertTrue(usage.waitFor(60, TimeUnit.SECONDS));
            assertEquals(2, usage.exitValue());
        } finally {
            missing.destroyForcibly();
            usage.destroyForcibly();
        }
    }
}
