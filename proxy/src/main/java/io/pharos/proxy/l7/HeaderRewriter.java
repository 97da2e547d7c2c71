package io.pharos.proxy.l7;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;

/**
 * Hop-by-hop header handling (RFC 9110 7.6.1) and the X-Forwarded-* headers. Works in place on the
 * message the decoder produced; stateless.
 */
final class HeaderRewriter {
    static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
    private static final AsciiString HTTPS = AsciiString.cached("https");
    private static final AsciiString HTTP = AsciiString.cached("http");

    private HeaderRewriter() {
    }

    /**
     * Removes Connection and every header it names, Keep-Alive, TE, Trailer, Transfer-Encoding,
     * Upgrade and every Proxy-* header. Framing is set again by the caller.
     */
    static void removeHopByHop(HttpHeaders headers) {
        if (headers.contains(HttpHeaderNames.CONNECTION)) {
            for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
                for (String token : value.split(",")) {
                    String name = token.trim();
                    if (!name.isEmpty()) {
                        headers.remove(name);
                    }
                }
            }
        }
        headers.remove(HttpHeaderNames.CONNECTION);
        headers.remove(HttpHeaderNames.KEEP_ALIVE);
        headers.remove(HttpHeaderNames.TE);
        headers.remove(HttpHeaderNames.TRAILER);
        headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        headers.remove(HttpHeaderNames.UPGRADE);
        headers.remove(PROXY_CONNECTION);
        if (hasProxyPrefixed(headers)) {
            List<String> proxyHeaders = new java.util.ArrayList<>();
            for (String name : headers.names()) {
                if (name.regionMatches(true, 0, "proxy-", 0, 6)) {
                    proxyHeaders.add(name);
                }
            }
            proxyHeaders.forEach(headers::remove);
        }
    }

    private static boolean hasProxyPrefixed(HttpHeaders headers) {
        for (var it = headers.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            if (name.length() > 6 && AsciiString.regionMatches(name, true, 0, "proxy-", 0, 6)) {
                return true;
            }
        }
        return false;
    }

    /** The {@code Upgrade} header of a request whose {@code Connection} asks to switch protocols, else null. */
    static String upgradeAsked(HttpHeaders headers) {
        return headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true) ? headers.get(HttpHeaderNames.UPGRADE) : null;
    }

    /**
     * Rewrites a client's request head for the backend, in place: hop-by-hop headers go, except chunked
     * framing and the {@code upgrade} asked for (the backend decides whether to switch, as for WebSocket);
     * the forwarding headers name the client; the version becomes HTTP/1.1.
     */
    static void rewriteRequest(HttpRequest request, boolean chunked, String upgrade, String clientIp, boolean tls) {
        HttpHeaders h = request.headers();
        removeHopByHop(h);
        if (chunked) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (upgrade != null) {
            h.set(HttpHeaderNames.UPGRADE, upgrade);
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        }
        addForwarded(h, clientIp, tls);
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    /**
     * The client's address as X-Forwarded-For carries it (the IP literal). Formatting it costs a few
     * allocations, so callers compute it once per client connection.
     */
    static String clientIp(SocketAddress client) {
        return client instanceof InetSocketAddress isa && isa.getAddress() != null
                ? isa.getAddress().getHostAddress() : String.valueOf(client);
    }

    /** Appends {@code clientIp} to X-Forwarded-For, and the scheme and host to X-Forwarded-Proto / -Host. */
    static void addForwarded(HttpHeaders headers, String clientIp, boolean tls) {
        append(headers, X_FORWARDED_FOR, clientIp);
        append(headers, X_FORWARDED_PROTO, tls ? HTTPS : HTTP);
        String host = headers.get(HttpHeaderNames.HOST);
        if (host != null) {
            append(headers, X_FORWARDED_HOST, host);
        }
    }

    private static void append(HttpHeaders headers, AsciiString name, CharSequence value) {
        if (!headers.contains(name)) {
            headers.set(name, value);
        } else {
            headers.set(name, String.join(", ", headers.getAll(name)) + ", " + value);
        }
    }
}
