package io.pharos.health.admin;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.pharos.health.JsonText;

import java.nio.charset.StandardCharsets;

/**
 * Builds the responses of Pharos's admin endpoints (the proxy's and the GTM sidecar's): JSON, plain
 * text, and JSON errors {@code {"error": "Not Found", "status": 404, "message": "..."}}. Stateless.
 */
public final class AdminResponses {
    public static final String JSON = "application/json; charset=utf-8";
    public static final String TEXT = "text/plain; charset=utf-8";
    public static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

    private AdminResponses() {
    }

    public static FullHttpResponse of(HttpResponseStatus status, String contentType, String body, boolean keepAlive) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        if (!keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return r;
    }

    public static FullHttpResponse json(HttpResponseStatus status, CharSequence body, boolean keepAlive) {
        return of(status, JSON, body + "\n", keepAlive);
    }

    /** {@code status} with a JSON body naming it and saying why: {@code {"error": REASON, "status": CODE, "message": MESSAGE}}. */
    public static FullHttpResponse error(HttpResponseStatus status, String message, boolean keepAlive) {
        StringBuilder sb = new StringBuilder("{\"error\":");
        JsonText.quote(sb, status.reasonPhrase()).append(",\"status\":").append(status.code()).append(",\"message\":");
        JsonText.quote(sb, message).append('}');
        return json(status, sb, keepAlive);
    }

    /** 401 with {@code WWW-Authenticate: Bearer}. */
    public static FullHttpResponse unauthorized(boolean keepAlive) {
        FullHttpResponse r = error(HttpResponseStatus.UNAUTHORIZED, "missing or wrong bearer token", keepAlive);
        r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        return r;
    }
}
