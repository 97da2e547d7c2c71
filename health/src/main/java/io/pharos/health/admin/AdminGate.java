package io.pharos.health.admin;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * What every admin request passes before routing: it must be well-formed HTTP (else 400 and close)
 * and, when a token is configured, carry {@code Authorization: Bearer TOKEN}, compared in constant time
 * (else 401 with {@code WWW-Authenticate: Bearer}); a route's {@link AdminError} becomes its 4xx JSON
 * error. Every answer goes out in turn through {@link OrderedReplies}. Immutable; shared by every
 * connection of an endpoint.
 */
public final class AdminGate {
    private final byte[] expectedAuthorization;

    private AdminGate(byte[] expectedAuthorization) {
        this.expectedAuthorization = expectedAuthorization;
    }

    /** @param token the bearer token; empty: every request is admitted */
    public static AdminGate of(Optional<String> token) {
        return new AdminGate(token.map(t -> ("Bearer " + t).getBytes(StandardCharsets.UTF_8)).orElse(null));
    }

    /** Answers one request on a keep-alive connection (or not), or refuses it with {@link AdminError}. */
    @FunctionalInterface
    public interface Routes {
        void route(ChannelHandlerContext ctx, FullHttpRequest req, boolean keepAlive) throws AdminError;
    }

    /**
     * Hands {@code req} to {@code routes} if it passes the gate, and answers an {@link AdminError} they
     * throw with its JSON error body. On the connection's event loop.
     */
    public void serve(ChannelHandlerContext ctx, FullHttpRequest req, Routes routes) {
        assert ctx.executor().inEventLoop();
        if (!admit(ctx, req)) {
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        try {
            routes.route(ctx, req, keepAlive);
        } catch (AdminError e) {
            OrderedReplies.send(ctx, AdminResponses.error(e.status(), e.getMessage(), keepAlive), keepAlive);
        }
    }

    /** True when {@code req} may be routed; otherwise it has been answered. */
    private boolean admit(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (req.decoderResult().isFailure()) {
            OrderedReplies.send(ctx, AdminResponses.error(HttpResponseStatus.BAD_REQUEST, "malformed request", false), false);
            return false;
        }
        if (!authorized(req)) {
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            OrderedReplies.send(ctx, AdminResponses.unauthorized(keepAlive), keepAlive);
            return false;
        }
        return true;
    }

    /** Whether {@code req} carries the token (compared in constant time), or no token is configured. Any thread. */
    public boolean authorized(HttpRequest req) {
        if (expectedAuthorization == null) {
            return true;
        }
        String given = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        return given != null && MessageDigest.isEqual(expectedAuthorization, given.getBytes(StandardCharsets.UTF_8));
    }
}
