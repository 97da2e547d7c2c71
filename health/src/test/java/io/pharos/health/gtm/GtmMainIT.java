package io.pharos.health.gtm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** {@code pharos gtm -c FILE} as a real process: an invalid config exits 2 with one line per problem. */
class GtmMainIT {
    @TempDir
    Path dir;

    private static Process run(Path dir, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), GtmMain.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(false).start();
    }

    @Test
    void invalidConfigExitsTwoWithOneLinePerProblem() throws Exception {
        Path conf = dir.resolve("gtm.conf");
        Files.writeString(conf, GtmConfigLoaderTest.minimal("failure-threshold = 4, recovery-threshold = 2, colour = blue",
                "").replace("secret-env = \"PHAROS_TSIG_SECRET\"", "secret-env = \"PHAROS_TEST_UNSET_VARIABLE\", algorithm = hmac-md5"));
        Process p = run(dir, "-c", conf.toString());
        try {
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "exits");
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(2, p.exitValue(), err);
            List<String> lines = err.lines().toList();
            assertTrue(lines.contains("gtm.colour: unknown key"), err);
            assertTrue(lines.contains("gtm.recovery-threshold: 2 is below failure-threshold 4 (expected >= it)"), err);
            assertTrue(lines.contains("gtm.dns.tsig.algorithm: hmac-md5 is refused (broken); use hmac-sha256"), err);
            assertTrue(lines.contains("gtm.dns.tsig.secret-env: environment variable PHAROS_TEST_UNSET_VARIABLE is not set"), err);
            assertEquals(4, lines.size(), err);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void missingFileAndBadArgumentsExitTwo() throws Exception {
        Process missing = run(dir, "-c", dir.resolve("nope.conf").toString());
        Process usage = run(dir, "--what");
        try {
            assertTrue(missing.waitFor(60, TimeUnit.SECONDS));
            assertEquals(2, missing.exitValue());
            assertTrue(new String(missing.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).contains("nope.conf: config file not found"));
            assertTrue(usage.waitFor(60, TimeUnit.SECONDS));
            assertEquals(2, usage.exitValue());
        } finally {
            missing.destroyForcibly();
            usage.destroyForcibly();
        }
    }
}
