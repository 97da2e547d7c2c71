package io.pharos.proxy.l7;

import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The smaller header maps keep Netty's validation: what the decoders refused before they still refuse. */
class SizedHeadersFactoryTest {
    @Test
    void headerNamesAndValuesAreStillValidated() {
        HttpHeaders h = SizedHeadersFactory.HEADERS.newHeaders();
        assertThrows(IllegalArgumentException.class, () -> h.add("bad name", "x"));
        assertThrows(IllegalArgumentException.class, () -> h.add("bad\u0000name", "x"));
        assertThrows(IllegalArgumentException.class, () -> h.add("x-ok", "bad\nvalue"));
        assertEquals(0, h.size());
    }

    @Test
    void trailersStillRefuseFramingHeaders() {
        HttpHeaders t = SizedHeadersFactory.TRAILERS.newHeaders();
        assertThrows(IllegalArgumentException.class, () -> t.add("Content-Length", "5"));
        assertThrows(IllegalArgumentException.class, () -> t.add("Transfer-Encoding", "chunked"));
        t.add("x-checksum", "abc");
        assertEquals("abc", t.get("x-checksum"));
    }

    @Test
    void manyHeadersInASmallTableAreAllFound() {
        HttpHeaders h = SizedHeadersFactory.HEADERS.newHeaders();
        for (int i = 0; i < 40; i++) {
            h.add("x-h" + i, "v" + i);
        }
        h.add("X-H7", "again");
        assertEquals(41, h.size());
        for (int i = 0; i < 40; i++) {
            assertEquals("v" + i, h.get("X-H" + i));
        }
        assertEquals(2, h.getAll("x-h7").size());
        h.remove("x-h7");
        assertEquals(39, h.names().size());
    }
}
