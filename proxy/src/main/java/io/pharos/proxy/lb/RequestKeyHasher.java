package io.pharos.proxy.lb;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.pharos.proxy.cluster.PickContext;
import io.pharos.proxy.config.PharosConfig.HashKey;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Hashes a request's {@code hash-key} (header value, cookie value or client IP; or the pick's explicit
 * key, which the applier of replayed writes sets to their partition key) to 64 bits without
 * allocating: values are walked char by char, a cookie is found inside the {@code Cookie} header
 * without splitting it. Immutable; any thread.
 */
final class RequestKeyHasher {
    /** What {@link #hash} answers when the request has no such key; never a real hash. */
    static final long NO_KEY = 0;

    private final HashKey.Source source;
    private final AsciiString headerName;
    private final String cookieName;

    RequestKeyHasher(HashKey key) {
        this.source = key.source();
        this.headerName = switch (source) {
            case HEADER -> AsciiString.of(key.name());
            case COOKIE -> HttpHeaderNames.COOKIE;
            case SOURCE_IP -> null;
        };
        this.cookieName = source == HashKey.Source.COOKIE ? key.name() : null;
    }

    /** The key's hash (the pick's explicit {@link PickContext#hashKey()} first), or {@link #NO_KEY} when the request does not carry it. */
    long hash(PickContext ctx) {
        String explicit = ctx.hashKey();
        if (explicit != null) {
            return present(Hashing.hashChars(explicit));
        }
        return switch (source) {
            case HEADER -> hashHeader(ctx.headers());
            case COOKIE -> hashCookie(ctx.headers());
            case SOURCE_IP -> hashAddress(ctx.remoteAddress());
        };
    }

    /** A real hash that happens to equal {@link #NO_KEY} is moved next to it. */
    private static long present(long hash) {
        return hash == NO_KEY ? NO_KEY + 1 : hash;
    }

    private long hashHeader(HttpHeaders headers) {
        String value = headers == null ? null : headers.get(headerName);
        return value == null ? NO_KEY : present(Hashing.hashChars(value));
    }

    private long hashCookie(HttpHeaders headers) {
        String cookies = headers == null ? null : headers.get(headerName);
        if (cookies == null) {
            return NO_KEY;
        }
        int len = cookies.length();
        int nameLen = cookieName.length();
        int i = 0;
        while (i < len) {
            while (i < len && (cookies.charAt(i) == ' ' || cookies.charAt(i) == ';')) {
                i++;
            }
            int end = cookies.indexOf(';', i);
            if (end < 0) {
                end = len;
            }
            if (i + nameLen < end && cookies.charAt(i + nameLen) == '='
                    && cookies.regionMatches(i, cookieName, 0, nameLen)) {
                int from = i + nameLen + 1;
                int to = end;
                while (to > from && cookies.charAt(to - 1) == ' ') {
                    to--;
                }
                return present(Hashing.hashChars(cookies, from, to));
            }
            i = end + 1;
        }
        return NO_KEY;
    }

    private static long hashAddress(SocketAddress address) {
        if (address instanceof InetSocketAddress isa) {
            InetAddress ip = isa.getAddress();
            if (ip != null) {
                // Inet4Address.hashCode() is the address itself, Inet6Address's a fold of its 16 bytes:
                // both deterministic and allocation-free, unlike getAddress() which copies the bytes.
                return present(Hashing.mix64(ip.hashCode() ^ 0x9e3779b97f4a7c15L));
            }
        }
        return NO_KEY;
    }
}
