package io.pharos.proxy.l7;

import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import static io.pharos.proxy.l7.ResponseFraming.BACKEND_REUSABLE;
import static io.pharos.proxy.l7.ResponseFraming.CLOSE_CLIENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The client-side framing of backend response heads, on plain header objects. */
class ResponseFramingTest {

    private static HttpResponse response(int status, String... headers) {
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        return r;
    }

    /** Framing for a keep-alive HTTP/1.1 client whose request is complete, listener open. */
    private static int frame(HttpResponse r, boolean head) {
        return ResponseFraming.frame(r, head, true, false, true, false);
    }

    @Test
    void aLengthDelimitedResponseKeepsBothConnections() {
        HttpResponse r = response(200, "content-length", "5", "keep-alive", "timeout=5", "connection", "keep-alive");
        assertEquals(BACKEND_REUSABLE, frame(r, false));
        assertEquals("5", r.headers().get("content-length"));
        assertNull(r.headers().get("keep-alive"), "hop-by-hop headers go");
        assertNull(r.headers().get("connection"));
    }

    @Test
    void aCloseDelimitedBodyIsChunkedForAKeepAliveHttp11Client() {
        HttpResponse r = response(200, "connection", "close");
        assertEquals(0, frame(r, false), "backend not reusable, client kept");
        assertEquals("chunked", r.headers().get("transfer-encoding"));
        assertNull(r.headers().get("connection"));
    }

    @Test
    void aCloseDelimitedBodyEndsTheConnectionOfAnHttp10Client() {
        HttpResponse r = response(200, "connection", "close");
        assertEquals(CLOSE_CLIENT, ResponseFraming.frame(r, false, true, true, true, false));
        assertNull(r.headers().get("transfer-encoding"), "HTTP/1.0 cannot take chunked");
        assertEquals("close", r.headers().get("connection"));
        assertEquals(HttpVersion.HTTP_1_1, r.protocolVersion());
    }

    @Test
    void aCloseDelimitedBodyEndsTheConnectionOfAClientThatDidNotAskForKeepAlive() {
        HttpResponse r = response(200);
        assertEquals(CLOSE_CLIENT, ResponseFraming.frame(r, false, false, false, true, false));
        assertNull(r.headers().get("transfer-encoding"));
        assertEquals("close", r.headers().get("connection"));
    }

    @Test
    void aChunkedResponseStaysChunked() {
        HttpResponse r = response(200, "transfer-encoding", "chunked");
        assertEquals(BACKEND_REUSABLE, frame(r, false));
        assertEquals("chunked", r.headers().get("transfer-encoding"));
    }

    @Test
    void headAnd204And304CarryNoBodyWhateverTheirHeadersSay() {
        HttpResponse head = response(200, "content-length", "42");
        assertEquals(BACKEND_REUSABLE, frame(head, true));
        assertEquals("42", head.headers().get("content-length"), "a HEAD answer keeps the length of the body it would have");
        assertNull(head.headers().get("transfer-encoding"));
        for (int status : new int[] {204, 304}) {
            HttpResponse r = response(status);
            assertEquals(BACKEND_REUSABLE, frame(r, false), "status " + status + ": no length needed, nothing to re-frame");
            assertNull(r.headers().get("transfer-encoding"));
            assertNull(r.headers().get("connection"));
        }
        HttpResponse chunkedHead = response(200, "transfer-encoding", "chunked");
        frame(chunkedHead, true);
        assertNull(chunkedHead.headers().get("transfer-encoding"), "hop-by-hop framing of a bodyless answer is not put back");
        assertTrue(ResponseFraming.isBodyless(true, 200));
        assertTrue(ResponseFraming.isBodyless(false, 204));
        assertTrue(ResponseFraming.isBodyless(false, 304));
        assertFalse(ResponseFraming.isBodyless(false, 200));
    }

    @Test
    void anHttp10KeepAliveClientIsToldTheConnectionStays() {
        HttpResponse r = response(200, "content-length", "0");
        assertEquals(BACKEND_REUSABLE, ResponseFraming.frame(r, false, true, true, true, false));
        assertEquals("keep-alive", r.headers().get("connection"));
    }

    @Test
    void anAnswerBeforeTheWholeRequestArrivedEndsTheClientConnection() {
        HttpResponse r = response(413, "content-length", "0");
        assertEquals(BACKEND_REUSABLE | CLOSE_CLIENT, ResponseFraming.frame(r, false, true, false, false, false));
        assertEquals("close", r.headers().get("connection"));
    }

    @Test
    void aClosingListenerEndsKeepAliveButFramesTheBodyAsForKeepAlive() {
        HttpResponse r = response(200);
        assertEquals(CLOSE_CLIENT, ResponseFraming.frame(r, false, true, false, true, true));
        assertEquals("chunked", r.headers().get("transfer-encoding"));
        assertEquals("close", r.headers().get("connection"));
        HttpResponse old = response(200, "content-length", "0");
        assertEquals(BACKEND_REUSABLE | CLOSE_CLIENT, ResponseFraming.frame(old, false, true, true, true, true));
        assertEquals("close", old.headers().get("connection"), "not keep-alive for an HTTP/1.0 client either");
    }

    @Test
    void anInterimResponseLosesOnlyItsHopByHopHeaders() {
        HttpResponse r = response(103, "link", "</a.css>; rel=preload", "connection", "keep-alive");
        ResponseFraming.frameInformational(r);
        assertEquals("</a.css>; rel=preload", r.headers().get("link"));
        assertNull(r.headers().get("connection"));
    }
}
