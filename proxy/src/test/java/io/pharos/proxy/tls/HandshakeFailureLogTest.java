package io.pharos.proxy.tls;

import io.netty.handler.codec.DecoderException;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLHandshakeException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One line per distinct cause per interval, on a virtual clock. */
class HandshakeFailureLogTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final List<String> lines = new ArrayList<>();
    private final HandshakeFailureLog log = new HandshakeFailureLog("web-tls", now::get, Duration.ofSeconds(60), lines::add);
    private final InetSocketAddress client = new InetSocketAddress("127.0.0.1", 40000);

    private static Throwable failure(String message) {
        return new DecoderException(new SSLHandshakeException(message));
    }

    @Test
    void theFirstFailureOfACauseIsLoggedAndTheRestOfTheIntervalCounted() {
        for (int i = 0; i < 50; i++) {
            log.record(client, failure("error:KEY_VALUES_MISMATCH"));
        }
        assertEquals(List.of("listener web-tls: TLS handshake failed: SSLHandshakeException: error:KEY_VALUES_MISMATCH"
                + " (client /127.0.0.1:40000); the next ones with this cause are counted, one line per 60s at most"), lines);

        now.addAndGet(Duration.ofSeconds(59).toNanos());
        log.record(client, failure("error:KEY_VALUES_MISMATCH"));
        assertEquals(1, lines.size(), lines.toString());

        now.addAndGet(Duration.ofSeconds(1).toNanos());
        log.record(client, failure("error:KEY_VALUES_MISMATCH"));
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(1).contains("KEY_VALUES_MISMATCH") && lines.get(1).contains("; 50 more with this cause since the last line;"), lines.get(1));
    }

    @Test
    void eachDistinctCauseHasItsOwnLine() {
        log.record(client, failure("no cipher suites in common"));
        log.record(null, failure("certificate unknown"));
        log.record(client, failure("no cipher suites in common"));
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains("no cipher suites in common"), lines.get(0));
        assertTrue(lines.get(1).contains("certificate unknown"), lines.get(1));
        assertFalse(lines.get(1).contains("(client"), lines.get(1));
    }

    @Test
    void causesBeyondTheBoundShareOneLine() {
        for (int i = 0; i < HandshakeFailureLog.MAX_CAUSES + 10; i++) {
            log.record(client, failure("cause " + i));
        }
        assertEquals(HandshakeFailureLog.MAX_CAUSES + 1, lines.size());
        assertTrue(lines.get(lines.size() - 1).contains("other causes"), lines.get(lines.size() - 1));
    }
}
