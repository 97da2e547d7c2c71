package io.pharos.proxy.continuity.apply;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.pharos.health.config.HostPort;
import io.pharos.proxy.continuity.journal.JournalRecord;
import io.pharos.proxy.continuity.journal.JournalRecord.Header;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The HTTP/1.1 request that replays a journal record at a backend: the recorded method, target, headers
 * (in order, repeats kept) and body, with {@code Content-Length}, the record's {@code Idempotency-Key} and
 * {@code Pharos-Replay: origin/epoch/sequence}; hop-by-hop headers are never forwarded. Pure; any thread.
 */
final class ReplayRequest {
    /** Headers a replay never forwards: hop-by-hop ones (RFC 9110 7.6.1), the framing it sets itself, and the two it replaces. */
    private static final Set<String> DROPPED = Set.of(
            "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
            "proxy-authenticate", "proxy-authorization", "expect", "content-length",
            Applier.IDEMPOTENCY_KEY_HEADER.toLowerCase(Locale.ROOT), Applier.REPLAY_HEADER.toLowerCase(Locale.ROOT));

    private ReplayRequest() {
    }

    /** {@code origin/epoch/sequence}, the value of {@code Pharos-Replay}. */
    static String replayMark(JournalRecord r) {
        return r.originRegion() + "/" + r.epoch() + "/" + r.sequence();
    }

    /**
     * The request for {@code r}, with {@code Host: backend} first when the record has no Host. Its body
     * wraps the record's array (no copy). Throws {@link IllegalArgumentException} when the method or a
     * header is not valid HTTP.
     */
    static FullHttpRequest build(JournalRecord r, HostPort backend) {
        Set<String> named = connectionOptions(r);
        boolean hasHost = false;
        for (Header h : r.headers()) {
            hasHost |= h.name().equalsIgnoreCase("host");
        }
        HttpHeaders headers = new DefaultHttpHeaders();
        if (!hasHost) {
            headers.add(HttpHeaderNames.HOST, backend.toString());
        }
        for (Header h : r.headers()) {
            String lower = h.name().toLowerCase(Locale.ROOT);
            if (!DROPPED.contains(lower) && !named.contains(lower)) {
                headers.add(h.name(), h.value());
            }
        }
        headers.set(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
        headers.set(Applier.IDEMPOTENCY_KEY_HEADER, r.idempotencyKey());
        headers.set(Applier.REPLAY_HEADER, replayMark(r));
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(r.method()), r.target(),
                Unpooled.wrappedBuffer(r.body()), headers, EmptyHttpHeaders.INSTANCE);
    }

    /** The header names the recorded {@code Connection} headers list: hop-by-hop too. */
    private static Set<String> connectionOptions(JournalRecord r) {
        Set<String> named = new HashSet<>();
        for (Header h : r.headers()) {
            if (h.name().equalsIgnoreCase("connection")) {
                for (String token : h.value().split(",")) {
                    String t = token.trim().toLowerCase(Locale.ROOT);
                    if (!t.isEmpty()) {
                        named.add(t);
                    }
                }
            }
        }
        return named;
    }
}
