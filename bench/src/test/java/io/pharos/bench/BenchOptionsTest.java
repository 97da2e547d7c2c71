package io.pharos.bench;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchOptionsTest {
    @Test
    void defaultsForAUrl() {
        BenchOptions o = BenchOptions.parse("http://127.0.0.1:8080/a/b?x=1");
        assertEquals(BenchOptions.Mode.HTTP, o.mode());
        assertEquals("127.0.0.1", o.host());
        assertEquals(8080, o.port());
        assertEquals("/a/b?x=1", o.path());
        assertEquals(10, o.connections());
        assertEquals(Duration.ofSeconds(10), o.duration());
        assertFalse(o.openLoop());
        assertFalse(o.newConnection());
        assertTrue(o.watch().isEmpty());
    }

    @Test
    void watchedPids() {
        BenchOptions o = BenchOptions.parse("http://h:1/", "--watch-pids", "12,34,", "--clk-tck", "250");
        assertEquals(java.util.List.of(12, 34), o.watch().pids());
        assertEquals(250, o.watch().clockTck());
    }

    @Test
    void everyOption() {
        BenchOptions o = BenchOptions.parse("http", "http://localhost/", "-c", "200", "-t", "2", "-d", "1.5s",
                "-w", "500ms", "-R", "40k", "-n", "--timeout", "3s", "--hdr-log", "/tmp/x.hlog", "-q");
        assertEquals(80, o.port());
        assertEquals("/", o.path());
        assertEquals(200, o.connections());
        assertEquals(2, o.threads());
        assertEquals(Duration.ofMillis(1500), o.duration());
        assertEquals(Duration.ofMillis(500), o.warmup());
        assertEquals(40_000, o.rate());
        assertTrue(o.openLoop() && o.newConnection() && o.quiet());
        assertEquals(Duration.ofSeconds(3), o.timeout());
        assertEquals("/tmp/x.hlog", o.hdrLog().orElseThrow().toString());
    }

    @Test
    void writesWithABodyAndAKeyPerConnection() {
        BenchOptions o = BenchOptions.parse("http://127.0.0.1:8080/kv/bench-{c}", "-m", "POST", "--body", "v");
        assertEquals("/kv/bench-{c}", o.path());
        assertEquals("POST /kv/bench-3 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\nv",
                new String(HttpLoad.request(o, 3), java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals("GET / HTTP/1.1\r\nHost: h:1\r\n\r\n",
                new String(HttpLoad.request(BenchOptions.parse("http://h:1/"), 0), java.nio.charset.StandardCharsets.US_ASCII));
        assertMessage("method: 'post'", () -> BenchOptions.parse("http://h:1/", "-m", "post"));
        assertMessage("http mode only", () -> BenchOptions.parse("tcp", "h:1", "--body", "x"));
    }

    @Test
    void tcpAndSinkTakeHostPort() {
        BenchOptions t = BenchOptions.parse("tcp", "127.0.0.2:9000", "--chunk", "1m", "-d", "2m");
        assertEquals(BenchOptions.Mode.TCP, t.mode());
        assertEquals("127.0.0.2", t.host());
        assertEquals(9000, t.port());
        assertEquals(1 << 20, t.chunk());
        assertEquals(Duration.ofMinutes(2), t.duration());
        assertEquals(BenchOptions.Mode.SINK, BenchOptions.parse("sink", "127.0.0.1:0").mode());
    }

    @Test
    void badInputNamesTheProblem() {
        assertMessage("missing target", () -> BenchOptions.parse());
        assertMessage("unknown option --frobnicate", () -> BenchOptions.parse("http://h/", "--frobnicate"));
        assertMessage("connections: 0", () -> BenchOptions.parse("http://h/", "-c", "0"));
        assertMessage("-d: 'soon' is not a duration", () -> BenchOptions.parse("http://h/", "-d", "soon"));
        assertMessage("bad URL 'https://h/'", () -> BenchOptions.parse("https://h/"));
        assertMessage("expected HOST:PORT", () -> BenchOptions.parse("tcp", "nohost"));
        assertMessage("http mode only", () -> BenchOptions.parse("tcp", "h:1", "-R", "5"));
        assertMessage("-c: missing value", () -> BenchOptions.parse("http://h/", "-c"));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().contains(expected), x.getMessage());
    }
}
