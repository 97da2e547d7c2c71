package io.pharos.health.config;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Units on durations and sizes, nearest-key suggestions, and syntax errors as one line. */
class ConfigReaderTest {
    private final List<String> problems = new ArrayList<>();

    private ConfigReader reader(String hocon) {
        return new ConfigReader(ConfigFactory.parseString(hocon), "pharos.x", problems);
    }

    @Test
    void aDurationNeedsAUnit() {
        ConfigReader r = reader("interval = 1, quoted = \"250\", ok = 2s, zero = 0, half = 0.5");
        assertEquals(Duration.ofSeconds(9), r.duration("interval", Duration.ofSeconds(9), false));
        assertEquals(Duration.ofSeconds(9), r.duration("quoted", Duration.ofSeconds(9), false));
        assertEquals(Duration.ofSeconds(2), r.duration("ok", Duration.ofSeconds(9), false));
        assertEquals(Duration.ZERO, r.duration("zero", Duration.ofSeconds(9), true));
        assertEquals(Duration.ofSeconds(9), r.duration("half", Duration.ofSeconds(9), false));
        assertEquals(List.of(
                "pharos.x.interval: expected a duration with a unit (e.g. 2s, 500ms), got 1",
                "pharos.x.quoted: expected a duration with a unit (e.g. 2s, 500ms)",
                "pharos.x.half: expected a duration with a unit (e.g. 2s, 500ms), got 0.5"), problems);
    }

    @Test
    void aSizeNeedsAUnit() {
        ConfigReader r = reader("max-body = 1048576, ok = 16k, bytes = 512b, zero = 0");
        assertEquals(7, r.bytes("max-body", 7, 0, Long.MAX_VALUE));
        assertEquals(16 * 1024, r.bytes("ok", 7, 0, Long.MAX_VALUE));
        assertEquals(512, r.bytes("bytes", 7, 0, Long.MAX_VALUE));
        assertEquals(0, r.bytes("zero", 7, 0, Long.MAX_VALUE));
        assertEquals(List.of("pharos.x.max-body: expected a size with a unit (e.g. 512b, 16k, 1m), got 1048576"), problems);
    }

    @Test
    void anUnknownKeySuggestsTheNearestKnownOne() {
        ConfigReader r = reader("timeot = 1s, tiemout = 2s, colour = blue, fal = 3");
        r.duration("timeout", Duration.ofSeconds(1), false);
        r.integer("fall", 3, 1, 10);
        r.integer("rise", 3, 1, 10);
        r.finish();
        assertEquals(List.of(
                "pharos.x.colour: unknown key",
                "pharos.x.fal: unknown key (did you mean 'fall'?)",
                "pharos.x.tiemout: unknown key (did you mean 'timeout'?)",
                "pharos.x.timeot: unknown key (did you mean 'timeout'?)"), problems);
    }

    @Test
    void nearestNeedsACloseCandidate() {
        assertEquals("timeout", ConfigReader.nearest("timeot", List.of("interval", "timeout", "rise")));
        assertNull(ConfigReader.nearest("ab", List.of("cd", "timeout")));
        assertEquals(1, ConfigReader.editDistance("tiemout", "timeout"));
    }

    @Test
    void aSyntaxErrorNamesTheLineNotTheFileAgain(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.conf");
        Files.writeString(file, "pharos {\n  workers = [ 1,\n");
        var e = assertThrows(com.typesafe.config.ConfigException.class, () -> ConfigFactory.parseFile(file.toFile()));
        String line = ConfigReader.syntaxProblem(e, file);
        assertEquals(false, line.contains(file.toString()), line);
        assertEquals(true, line.startsWith("line 3: "), line);
    }
}
