package io.pharos.proxy.l7;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
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

    private HeaderRewriter() {
    }

    /**
     * Removes Connection and every header it names, Keep-Alive, TE, Trailer, Transfer-Encoding,
     * Upgrade and every Proxy-* header. Framing is set again by the caller.
     */
    static void removeHopByHop(HttpHeaders headers) {
        List<String> connection = headers.getAll(HttpHeaderNames.CONNECTION);
        for (String value : connection) {
            for (String token : value.split(",")) {
                String name = token.trim();
                if (!name.isEmpty()) {
                    headers.remove(name);
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

    /** Appends the client to X-Forwarded-For, and the scheme and host to X-Forwarded-Proto / -Host. */
    static void addForwarded(HttpHeaders headers, SocketAddress client, boolean tls) {
        String ip = client instanceof InetSocketAddress isa && isa.getAddress() != null
                ? isa.getAddress().getHostAddress() : String.valueOf(client);
        append(headers, X_FORWARDED_FOR, ip);
        append(headers, X_FORWARDED_PROTO, tls ? "https" : "http");
        String host = headers.get(HttpHeaderNames.HOST);
        if (host != null) {
            append(headers, X_FORWARDED_HOST, host);
        }
    }

    private static void append(HttpHeaders headers, AsciiString name, String value) {
        List<String> existing = headers.getAll(name);
        if (existing.isEmpty()) {
            headers.set(name, value);
        } else {
            headers.set(name, String.join(", ", existing) + ", " + value);
        }
    }
}
