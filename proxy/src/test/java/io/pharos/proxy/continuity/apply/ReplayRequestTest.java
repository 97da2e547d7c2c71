package io.pharos.proxy.continuity.apply;

import io.netty.handler.codec.http.FullHttpRequest;
import io.pharos.health.config.HostPort;
import io.pharos.proxy.continuity.journal.JournalRecord;
import io.pharos.proxy.continuity.journal.JournalRecord.Header;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The replay request built from a record: headers kept in order, hop-by-hop ones dropped, the two Pharos sets. */
class ReplayRequestTest {

    @Test
    void keepsEndToEndHeadersInOrderAndDropsHopByHopOnes() {
        JournalRecord r = record("POST", List.of(
                new Header("Host", "app.example"), new Header("Connection", "close, X-Private ,"), new Header("X-A", "1"),
                new Header("x-private", "no"), new Header("TE", "trailers"), new Header("X-A", "2"),
                new Header("Proxy-Connection", "keep-alive"), new Header("IDEMPOTENCY-KEY", "theirs"),
                new Header("pharos-replay", "x/1/1"), new Header("Content-Length", "1")), "hello");
        FullHttpRequest req = ReplayRequest.build(r, new HostPort("10.0.0.1", 8080));
        try {
            assertEquals(List.of(
                    Map.entry("Host", "app.example"), Map.entry("X-A", "1"), Map.entry("X-A", "2"),
                    Map.entry("content-length", "5"), Map.entry("Idempotency-Key", "idem-9"), Map.entry("Pharos-Replay", "us-east/4/9")),
                    entries(req));
            assertEquals("POST", req.method().name());
            assertEquals("/kv/x?y=1", req.uri());
            assertEquals("hello", req.content().toString(StandardCharsets.UTF_8));
        } finally {
            req.release();
        }
    }

    @Test
    void addsTheBackendAsHostWhenTheRecordHasNone() {
        FullHttpRequest req = ReplayRequest.build(record("DELETE", List.of(new Header("X-B", "b")), ""), new HostPort("::1", 9000));
        try {
            assertEquals(List.of(Map.entry("host", "[::1]:9000"), Map.entry("X-B", "b"), Map.entry("content-length", "0"),
                    Map.entry("Idempotency-Key", "idem-9"), Map.entry("Pharos-Replay", "us-east/4/9")), entries(req));
        } finally {
            req.release();
        }
    }

    @Test
    void refusesARecordThatIsNoValidRequest() {
        HostPort backend = new HostPort("127.0.0.1", 1);
        assertThrows(IllegalArgumentException.class, () -> ReplayRequest.build(record("GE T", List.of(), ""), backend));
        assertThrows(IllegalArgumentException.class,
                () -> ReplayRequest.build(record("PUT", List.of(new Header("Bad Name", "v")), ""), backend));
    }

    private static JournalRecord record(String method, List<Header> headers, String body) {
        return new JournalRecord("us-east", "kv", 4, 9, "k", "idem-9", method, "/kv/x?y=1", headers,
                body.getBytes(StandardCharsets.UTF_8), 201, null, null, 1L);
    }

    private static List<Map.Entry<String, String>> entries(FullHttpRequest req) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        req.headers().forEach(e -> out.add(Map.entry(e.getKey(), e.getValue())));
        return out;
    }
}
