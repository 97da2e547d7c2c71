package io.pharos.health;

import io.pharos.health.testing.PomVersion;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PharosVersionTest {
    private static final Path ROOT = Path.of("..");

    @Test
    void isTheBuildsVersion() throws Exception {
        assertEquals(PomVersion.of(ROOT), PharosVersion.current());
    }

    @Test
    void describeNamesTheProgramTheVersionAndTheJvm() throws Exception {
        String d = PharosVersion.describe("pharos");
        assertTrue(d.startsWith("pharos " + PomVersion.of(ROOT) + "\njava " + System.getProperty("java.version") + " ("), d);
    }
}
