package io.pharos.bench;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps {@code bench/compare} working: one short round against real HAProxy, nginx and the direct
 * connection. Asserts that every contender served requests in every scenario (the script's verdict),
 * never how fast. Installs haproxy/nginx with apt-get when missing, as the script does for users.
 */
class CompareSmokeIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void everyContenderServesInEveryScenario() throws Exception {
        Path log = Files.createTempFile("pharos-compare-smoke", ".log");
        Process p = new ProcessBuilder(ROOT.resolve("bench/compare").toString(), "--smoke")
                .directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            boolean done = p.waitFor(8, TimeUnit.MINUTES);
            String out = Files.readString(log);
            assertTrue(done, "bench/compare --smoke finished within 8 minutes:\n" + out);
            assertEquals(0, p.exitValue(), "bench/compare --smoke verdict:\n" + out);
            assertTrue(out.contains("ok: every contender served in every scenario"), out);
            for (String contender : List.of("pharos", "haproxy", "nginx", "direct")) {
                assertTrue(out.contains(contender), "report mentions " + contender + ":\n" + out);
            }
        } finally {
            // the script stops what it started on EXIT; SIGTERM gives its trap the chance
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            Files.deleteIfExists(log);
        }
    }
}
