package io.pharos.proxy.l7;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class Http2RequestHeadersTest {
    private static HttpRequest request(HttpMethod method, String uri) {
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
    }

    @Test
    void originFormTargetBecomesPseudoHeaders() {
        HttpRequest req = request(HttpMethod.POST, "/a/b?x=1&y=%20");
        req.headers().add("Host", "app.example:8080").add("X-Custom", "v").add("Content-Length", "5");
        Http2Headers h = Http2RequestHeaders.of(req, false);
        assertEquals("POST", h.method().toString());
        assertEquals("http", h.scheme().toString());
        assertEquals("/a/b?x=1&y=%20", h.path().toString());
        assertEquals("app.example:8080", h.authority().toString());
        assertEquals("v", h.get("x-custom").toString());
        assertEquals("5", h.get("content-length").toString());
        assertNull(h.get("host"));
        assertEquals("https", Http2RequestHeaders.of(req, true).scheme().toString());
    }

    @Test
    void connectionSpecificFieldsAreDropped() {
        HttpRequest req = request(HttpMethod.GET, "/");
        req.headers().add("Host", "h").add("Connection", "keep-alive, X-Hop").add("X-Hop", "1").add("Keep-Alive", "timeout=5")
                .add("Proxy-Connection", "keep-alive").add("Transfer-Encoding", "chunked").add("Upgrade", "h2c")
                .add("TE", "gzip").add("X-Kept", "2");
        Http2Headers h = Http2RequestHeaders.of(req, false);
        for (String n : new String[] {"connection", "x-hop", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "host"}) {
            assertNull(h.get(n), n);
        }
        assertEquals("2", h.get("x-kept").toString());
        // the request head is left as it was, for a retry
        assertEquals("chunked", req.headers().get("Transfer-Encoding"));
        assertEquals("h", req.headers().get("Host"));
    }

    @Test
    void teTrailersIsKept() {
        HttpRequest req = request(HttpMethod.GET, "/");
        req.headers().add("TE", "trailers");
        assertEquals("trailers", Http2RequestHeaders.of(req, false).get("te").toString());
    }

    @Test
    void absoluteFormAndAsteriskTargets() {
        Http2Headers abs = Http2RequestHeaders.of(request(HttpMethod.GET, "http://origin.example:81/p?q=1"), false);
        assertEquals("/p?q=1", abs.path().toString());
        assertEquals("origin.example:81", abs.authority().toString());
        Http2Headers bare = Http2RequestHeaders.of(request(HttpMethod.GET, "http://origin.example"), false);
        assertEquals("/", bare.path().toString());
        HttpRequest withHost = request(HttpMethod.GET, "http://origin.example/x");
        withHost.headers().add("Host", "front.example");
        assertEquals("front.example", Http2RequestHeaders.of(withHost, false).authority().toString());
        Http2Headers star = Http2RequestHeaders.of(request(HttpMethod.OPTIONS, "*"), false);
        assertEquals("*", star.path().toString());
        assertNull(star.authority());
        assertThrows(IllegalArgumentException.class, () -> Http2RequestHeaders.of(request(HttpMethod.GET, "http://bad host/"), false));
    }

    @Test
    void namesAreLowerCase() {
        HttpRequest req = request(HttpMethod.GET, "/");
        req.headers().add("X-MiXeD", "1");
        Http2Headers h = Http2RequestHeaders.of(req, false);
        h.forEach(e -> assertEquals(e.getKey().toString().toLowerCase(java.util.Locale.ROOT), e.getKey().toString()));
        assertFalse(h.isEmpty());
    }
}
