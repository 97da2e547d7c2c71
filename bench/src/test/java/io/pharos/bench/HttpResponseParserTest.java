package io.pharos.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpResponseParserTest {
    private final List<String> responses = new ArrayList<>();
    private final HttpResponseParser parser = new HttpResponseParser(
            (status, keepAlive) -> responses.add(status + (keepAlive ? " keep-alive" : " close")));

    private void feed(String s) throws HttpResponseParser.ProtocolException {
        ByteBuf b = Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
        try {
            parser.feed(b);
            assertEquals(0, b.readableBytes(), "feed consumes everything");
        } finally {
            b.release();
        }
    }

    /** Feeds {@code s} split at every possible position into two pieces, then byte by byte. */
    private List<String> everySplit(String s) throws HttpResponseParser.ProtocolException {
        List<String> first = null;
        for (int cut = 0; cut <= s.length(); cut++) {
            responses.clear();
            feed(s.substring(0, cut));
            feed(s.substring(cut));
            if (first == null) {
                first = List.copyOf(responses);
            } else {
                assertEquals(first, responses, "split at " + cut);
            }
        }
        responses.clear();
        for (int i = 0; i < s.length(); i++) {
            feed(s.substring(i, i + 1));
        }
        assertEquals(first, responses, "byte by byte");
        return first;
    }

    @Test
    void fixedLengthBodiesBackToBackInAnySplit() throws Exception {
        String r = "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
                + "HTTP/1.1 404 Not Found\r\ncontent-length:3\r\n\r\nabc";
        assertEquals(List.of("200 keep-alive", "404 keep-alive"), everySplit(r));
        assertFalse(parser.onClose(), "nothing is pending after complete responses");
    }

    @Test
    void connectionCloseAndHttp10() throws Exception {
        assertEquals(List.of("200 close"), everySplit("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n"));
        assertEquals(List.of("200 close"), everySplit("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx"));
        assertEquals(List.of("200 keep-alive"),
                everySplit("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx"));
    }

    @Test
    void chunkedBodyWithExtensionsAndTrailers() throws Exception {
        String r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: yes\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        assertEquals(List.of("200 keep-alive", "200 keep-alive"), everySplit(r));
    }

    @Test
    void noBodyStatusesAndInterimResponses() throws Exception {
        assertEquals(List.of("204 keep-alive", "304 keep-alive"),
                everySplit("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"));
        assertEquals(List.of("200 keep-alive"),
                everySplit("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    }

    @Test
    void bodyWithoutLengthEndsAtClose() throws Exception {
        feed("HTTP/1.1 200 OK\r\nServer: x\r\n\r\nsome body bytes");
        assertTrue(responses.isEmpty());
        feed("more bytes");
        assertTrue(parser.onClose());
        assertEquals(List.of("200 close"), responses);
        assertFalse(parser.onClose(), "nothing pending any more");
    }

    @Test
    void largeBodySkippedInBulk() throws Exception {
        feed("HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n");
        ByteBuf body = Unpooled.buffer(1 << 20).writeZero(1 << 20);
        try {
            ByteBuf first = body.readRetainedSlice(700_000);
            try {
                parser.feed(first);
            } finally {
                first.release();
            }
            assertTrue(responses.isEmpty());
            assertFalse(parser.onClose(), "a Content-Length body does not end at close");
            parser.feed(body);
        } finally {
            body.release();
        }
        assertEquals(List.of("200 keep-alive"), responses);
    }

    @Test
    void garbageIsAProtocolError() {
        assertThrows(HttpResponseParser.ProtocolException.class, () -> feed("SSH-2.0-OpenSSH\r\n"));
        parser.reset();
        assertThrows(HttpResponseParser.ProtocolException.class, () -> feed("HTTP/1.1 2x0 OK\r\n"));
        parser.reset();
        assertThrows(HttpResponseParser.ProtocolException.class,
                () -> feed("HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n"));
        parser.reset();
        assertThrows(HttpResponseParser.ProtocolException.class,
                () -> feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
    }

    @Test
    void resetForgetsAHalfReadResponse() throws Exception {
        feed("HTTP/1.1 200 OK\r\nContent-Le");
        parser.reset();
        feed("HTTP/1.1 204 No Content\r\n\r\n");
        assertEquals(List.of("204 keep-alive"), responses);
    }
}
