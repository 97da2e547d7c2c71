package io.pharos.proxy.admin;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.pharos.health.JsonText;

import java.nio.charset.StandardCharsets;

/** Builds the admin API's responses: JSON, plain text, and JSON errors {@code {"error": ..., "message": ...}}. */
final class AdminResponses {
    static final String JSON = "application/json; charset=utf-8";
    static final String TEXT = "text/plain; charset=utf-8";
    static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

    private AdminResponses() {
    }

    static FullHttpResponse of(HttpResponseStatus status, String contentType, String body, boolean keepAlive) {
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

    static FullHttpResponse json(HttpResponseStatus status, CharSequence body, boolean keepAlive) {
        return of(status, JSON, body + "\n", keepAlive);
    }

    static FullHttpResponse error(HttpResponseStatus status, String message, boolean keepAlive) {
        StringBuilder sb = new StringBuilder("{\"error\":");
        JsonText.quote(sb, status.reasonPhrase()).append(",\"status\":").append(status.code()).append(",\"message\":");
        JsonText.quote(sb, message).append('}');
        return json(status, sb, keepAlive);
    }
}
