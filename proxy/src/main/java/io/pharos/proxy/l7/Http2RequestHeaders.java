package io.pharos.proxy.l7;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpScheme;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;

import java.net.URI;

/**
 * The HEADERS of an HTTP/2 request to a backend, made from the HTTP/1.1 request head the frontend
 * forwards: {@code :method}, {@code :scheme} (of the backend connection), {@code :path} (the
 * origin-form target, or the path and query of an absolute-form one) and {@code :authority} (from
 * {@code Host}, else from an absolute-form target); then the other fields in lower case without the
 * connection-specific ones (RFC 9113 8.2.2: Connection and what it names, Keep-Alive, Proxy-Connection,
 * Transfer-Encoding, Upgrade, Host, and TE unless it is {@code trailers}). The request head is not
 * changed, so a retry can send it again. Stateless.
 */
final class Http2RequestHeaders {
    private Http2RequestHeaders() {
    }

    /**
     * @param https whether the backend connection is TLS ({@code :scheme})
     * @throws IllegalArgumentException when the request target is neither origin-form, {@code *} nor a URI
     */
    static Http2Headers of(HttpRequest req, boolean https) {
        Http2Headers out = new DefaultHttp2Headers(false, req.headers().size() + 4);
        out.method(req.method().asciiName());
        out.scheme(https ? HttpScheme.HTTPS.name() : HttpScheme.HTTP.name());
        String target = req.uri();
        String authority = req.headers().get(HttpHeaderNames.HOST);
        if (target.startsWith("/") || target.equals("*")) {
            out.path(target);
        } else {
            URI uri = URI.create(target);
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            out.path(uri.getRawQuery() == null ? path : path + '?' + uri.getRawQuery());
            if (authority == null || authority.isEmpty()) {
                authority = uri.getRawAuthority();
            }
        }
        if (authority != null && !authority.isEmpty()) {
            out.authority(new AsciiString(authority));
        }
        HttpConversionUtil.toHttp2Headers(req.headers(), out);
        return out;
    }
}
