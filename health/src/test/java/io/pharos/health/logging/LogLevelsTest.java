package io.pharos.health.logging;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogLevelsTest {
    @Test
    void takesTheLogOptionsOutOfTheCommandLineWhereverTheyStand() {
        LogLevels.Parsed p = LogLevels.extract(new String[] {"-v", "proxy", "-c", "x.conf", "--log-level", "warn", "--log-level=io.netty=error"});
        assertArrayEquals(new String[] {"proxy", "-c", "x.conf"}, p.rest());
        assertEquals(Map.of("io.pharos", Level.FINE, "", Level.WARNING, "io.netty", Level.SEVERE), p.levels().levels());
        assertEquals(Map.of("io.pharos", Level.FINEST), LogLevels.extract(new String[] {"-vv"}).levels().levels());
        assertEquals(Map.of(), LogLevels.extract(new String[] {"check", "-c", "x"}).levels().levels());
    }

    @Test
    void aSpecIsALevelOrLoggerEqualsLevelCommaSeparatedAndTheLastSettingWins() {
        Map<String, Level> expected = new LinkedHashMap<>();
        expected.put("io.pharos.proxy.tls", Level.FINE);
        expected.put("", Level.INFO);
        assertEquals(expected, LogLevels.parse("debug, io.pharos.proxy.tls=debug ,INFO").levels());
        assertEquals(List.of("io.pharos.proxy.tls", ""), List.copyOf(LogLevels.parse("debug,io.pharos.proxy.tls=debug,info").levels().keySet()));
        assertEquals(Level.OFF, LogLevels.level("off"));
        assertEquals(Level.SEVERE, LogLevels.level("error"));
        assertEquals(Level.WARNING, LogLevels.level("WARN"));
        assertEquals(Level.FINEST, LogLevels.level("trace"));
        assertEquals(Level.FINER, LogLevels.level("finer"));
    }

    @Test
    void refusesABadSpecNamingWhatIsWrong() {
        assertEquals("--log-level: unknown level 'loud' (expected: off, error, warn, info, debug, trace)",
                assertThrows(IllegalArgumentException.class, () -> LogLevels.parse("loud")).getMessage());
        assertEquals("--log-level: unknown level 'verbose' (expected: off, error, warn, info, debug, trace)",
                assertThrows(IllegalArgumentException.class, () -> LogLevels.parse("io.pharos=verbose")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LogLevels.parse("=debug")).getMessage()
                .startsWith("--log-level: bad logger name in '=debug'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LogLevels.extract(new String[] {"proxy", "--log-level"}))
                .getMessage().startsWith("--log-level needs a value"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LogLevels.extract(new String[] {"--log-level="}))
                .getMessage().startsWith("--log-level: empty"));
    }

    /** A debug level reaches the console: the logger lets FINE through and the root's handler prints it. */
    @Test
    void applySetsTheLoggersAndLowersTheConsoleToTheFinestLevelAsked() {
        Logger root = Logger.getLogger("");
        Handler console = new ConsoleHandler();
        console.setLevel(Level.INFO);
        root.addHandler(console);
        try {
            LogLevels.parse("io.pharos.test.quiet=warn,io.pharos.test.chatty=debug").apply();
            Logger quiet = Logger.getLogger("io.pharos.test.quiet.child");
            Logger chatty = Logger.getLogger("io.pharos.test.chatty");
            assertFalse(quiet.isLoggable(Level.INFO), "warn hides info below the logger named");
            assertTrue(quiet.isLoggable(Level.WARNING));
            assertTrue(chatty.isLoggable(Level.FINE));
            assertFalse(chatty.isLoggable(Level.FINER));
            assertEquals(Level.FINE, console.getLevel());
            LogLevels.parse("io.pharos.test.chatty=info").apply();
            assertEquals(Level.FINE, console.getLevel(), "a handler is lowered, never raised");
            assertFalse(chatty.isLoggable(Level.FINE));
        } finally {
            root.removeHandler(console);
            Logger.getLogger("io.pharos.test.quiet").setLevel(null);
            Logger.getLogger("io.pharos.test.chatty").setLevel(null);
        }
    }

    @Test
    void nothingAskedChangesNothing() {
        Logger root = Logger.getLogger("");
        Level before = root.getLevel();
        LogLevels.extract(new String[] {"proxy"}).levels().apply();
        assertEquals(before, root.getLevel());
    }
}
