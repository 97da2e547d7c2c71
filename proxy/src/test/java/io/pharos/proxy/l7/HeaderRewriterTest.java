package io.pharos.proxy.l7;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeaderRewriterTest {
    @Test
    void removesConnectionAndTheHeadersItNames() {
        HttpHeaders h = new DefaultHttpHeaders()
                .add("Connection", "keep-alive, X-A")
                .add("Connection", "x-b")
                .add("X-A", "1").add("X-B", "2").add("X-C", "3")
                .add("Keep-Alive", "timeout=5").add("TE", "trailers").add("Trailer", "x")
                .add("Transfer-Encoding", "chunked").add("Upgrade", "h2c")
                .add("Proxy-Authorization", "Basic x").add("Proxy-Foo", "y");
        HeaderRewriter.removeHopByHop(h);
        assertEquals(1, h.size(), h.toString());
        assertEquals("3", h.get("X-C"));
    }

    @Test
    void appendsForwardedHeaders() {
        HttpHeaders h = new DefaultHttpHeaders().add("Host", "a.example").add("X-Forwarded-For", "1.1.1.1")
                .add("X-Forwarded-For", "2.2.2.2");
        HeaderRewriter.addForwarded(h, HeaderRewriter.clientIp(new InetSocketAddress("127.0.0.9", 5555)), true);
        assertEquals("1.1.1.1, 2.2.2.2, 127.0.0.9", h.get("x-forwarded-for"));
        assertEquals("https", h.get("x-forwarded-proto"));
        assertEquals("a.example", h.get("x-forwarded-host"));
        assertEquals(1, h.getAll("x-forwarded-for").size());
    }

    @Test
    void setsForwardedHeadersWhenTheClientSentNone() {
        HttpHeaders h = new DefaultHttpHeaders().add("Host", "b.example");
        HeaderRewriter.addForwarded(h, HeaderRewriter.clientIp(new InetSocketAddress("::1", 5555)), false);
        assertEquals("0:0:0:0:0:0:0:1", h.get("x-forwarded-for"));
        assertEquals("http", h.get("x-forwarded-proto"));
        assertEquals("b.example", h.get("x-forwarded-host"));
    }

    @Test
    void leavesOrdinaryHeadersAlone() {
        HttpHeaders h = new DefaultHttpHeaders().add("Content-Length", "3").add("Proxyish", "x");
        HeaderRewriter.removeHopByHop(h);
        assertTrue(h.contains("content-length"));
        assertTrue(h.contains("proxyish"));
        assertFalse(h.contains("connection"));
    }
}
