package io.pharos.proxy.l7;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/** The answers the proxy makes itself (400, 408, 417, 502, 503, 504, a hook's {@link Refusal}): a short plain-text page. Stateless. */
final class ErrorResponses {
    private ErrorResponses() {
    }

    /** The {@code Retry-After} seconds of the proxy's own answers: 1 on a 503, else none (0). */
    static int defaultRetryAfter(HttpResponseStatus status) {
        return status.code() == 503 ? 1 : 0;
    }

    /**
     * A complete response: {@code "<code> <reason phrase>: <reason>"}; {@code Retry-After} when
     * {@code retryAfterSeconds} is above 0; {@code close} adds {@code Connection: close}.
     */
    static FullHttpResponse page(HttpResponseStatus status, String reason, int retryAfterSeconds, boolean close) {
        ByteBuf body = Unpooled.copiedBuffer(status.code() + " " + status.reasonPhrase() + ": " + reason + "\n", StandardCharsets.UTF_8);
        FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        resp.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN);
        resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        if (retryAfterSeconds > 0) {
            resp.headers().setInt(HttpHeaderNames.RETRY_AFTER, retryAfterSeconds);
        }
        if (close) {
            resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return resp;
    }

    /** A failure's message for an error page, or its class name when it has none. */
    static String describe(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
