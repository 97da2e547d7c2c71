package io.pharos.gtm;

import io.pharos.health.testing.PomVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bin/pharos gtm} as a user runs it: the launcher starts {@link GtmMain} from the pharos-gtm jar and its libs. */
class GtmLauncherIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private record Result(int exit, String output) {
    }

    private static Result run(String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = ROOT.resolve("bin/pharos").toString();
        System.arraycopy(args, 0, cmd, 1, args.length);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().put("PHAROS_TSIG_SECRET", GtmConfigLoaderTest.SECRET);
        Process p = pb.start();
        try {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "bin/pharos finished in time");
            return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes()));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void invalidConfigExitsTwoWithOneLinePerProblem() throws Exception {
        Path conf = dir.resolve("gtm.conf");
        Files.writeString(conf, GtmConfigLoaderTest.minimal("colour = blue", ""));
        Result r = run("gtm", "-c", conf.toString());
        assertEquals(2, r.exit(), r.output());
        assertTrue(r.output().lines().toList().contains("gtm.colour: unknown key"), r.output());
    }

    @Test
    void checkOnAGtmConfigIsTheSidecarsCheck() throws Exception {
        Path conf = dir.resolve("gtm.conf");
        Files.writeString(conf, GtmConfigLoaderTest.minimal("", ""));
        for (String[] args : List.of(new String[] {"check", "-c", conf.toString()}, new String[] {"gtm", "check", "-c", conf.toString()})) {
            Result r = run(args);
            assertEquals(0, r.exit(), r.output());
            assertTrue(r.output().contains("pharos gtm: " + conf + " is valid (2 regions, 1 name, 1 DNS server)"), r.output());
        }
        Files.writeString(conf, GtmConfigLoaderTest.minimal("interval = 1", ""));
        Result bad = run("check", "-c", conf.toString());
        assertEquals(2, bad.exit(), bad.output());
        assertTrue(bad.output().contains("gtm.interval: expected a duration with a unit (e.g. 2s, 500ms), got 1"), bad.output());
    }

    @Test
    void badArgumentsPrintTheSidecarsUsage() throws Exception {
        Result r = run("gtm", "--what");
        assertEquals(2, r.exit(), r.output());
        assertTrue(r.output().contains("usage: pharos gtm -c FILE"), r.output());
    }

    /** {@code bin/pharos gtm --version}: the build's version, which the sidecar's jar also carries in its manifest. */
    @Test
    void versionIsTheBuildsVersion() throws Exception {
        String version = PomVersion.of(ROOT);
        Result r = run("gtm", "--version");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().startsWith("pharos gtm " + version + "\njava "), r.output());
        Path jar = ROOT.resolve("gtm/target/pharos-gtm-" + version + ".jar");
        try (JarFile j = new JarFile(jar.toFile())) {
            assertEquals(version, j.getManifest().getMainAttributes().getValue("Implementation-Version"), jar.toString());
        }
    }

    @Test
    void helpExplainsTheSidecarAndABadLogLevelIsAUsageError() throws Exception {
        Result help = run("gtm", "--help");
        assertEquals(0, help.exit(), help.output());
        assertTrue(help.output().startsWith("usage: pharos gtm -c FILE [-v | --log-level SPEC]"), help.output());
        assertTrue(help.output().contains("\nexit: "), help.output());
        Result bad = run("gtm", "-c", "conf/gtm.conf", "--log-level", "loud");
        assertEquals(2, bad.exit(), bad.output());
        assertTrue(bad.output().contains("--log-level: unknown level 'loud'"), bad.output());
    }
}
