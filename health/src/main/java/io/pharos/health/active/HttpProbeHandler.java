package io.pharos.health.active;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Sends the check request once the connection (and the TLS handshake) is up, then judges the response:
 * status first, then, if an {@code expect-body} is set, the body. Reports once through
 * {@link OnceCallback} and closes. One instance per probe connection, on its event loop.
 */
final class HttpProbeHandler extends ChannelInboundHandlerAdapter {
    private final HttpCheckSpec spec;
    private final String hostHeader;
    private final boolean tls;
    private final OnceCallback callback;
    private final byte[] expectedBody;
    /** Body bytes kept so far; written by the event loop, null until the status passed and a body is expected. */
    private ByteArrayOutputStream body;

    HttpProbeHandler(HttpCheckSpec spec, String hostHeader, boolean tls, OnceCallback callback) {
        this.spec = spec;
        this.hostHeader = hostHeader;
        this.tls = tls;
        this.callback = callback;
        this.expectedBody = spec.expectBody().map(b -> b.getBytes(StandardCharsets.UTF_8)).orElse(null);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (!tls) {
            sendRequest(ctx);
        }
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent hs) {
            if (hs.isSuccess()) {
                sendRequest(ctx);
            } else {
                finish(ctx, ProbeResult.failed(ProbeFailures.ioReason(hs.cause())));
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void sendRequest(ChannelHandlerContext ctx) {
        FullHttpRequest request = new DefaultFullHttpRequest(
                HttpVersion.HTTP_1_1, HttpMethod.valueOf(spec.method()), spec.path(), Unpooled.EMPTY_BUFFER);
        request.headers()
                .set(HttpHeaderNames.HOST, hostHeader)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                .set(HttpHeaderNames.USER_AGENT, "pharos-health-check");
        ctx.writeAndFlush(request).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpResponse response) {
                onResponse(ctx, response);
            }
            if (msg instanceof HttpContent content && body != null) {
                onContent(ctx, content);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onResponse(ChannelHandlerContext ctx, HttpResponse response) {
        if (response.decoderResult().isFailure()) {
            finish(ctx, ProbeResult.failed("bad response"));
            return;
        }
        int status = response.status().code();
        if (!spec.acceptsStatus(status)) {
            finish(ctx, ProbeResult.failed("status " + status));
        } else if (expectedBody == null) {
            finish(ctx, ProbeResult.OK);
        } else {
            body = new ByteArrayOutputStream();
        }
    }

    private void onContent(ChannelHandlerContext ctx, HttpContent content) {
        ByteBuf buf = content.content();
        int room = HttpCheckSpec.MAX_BODY - body.size();
        int n = Math.min(room, buf.readableBytes());
        if (n > 0) {
            byte[] chunk = new byte[n];
            buf.getBytes(buf.readerIndex(), chunk);
            body.write(chunk, 0, n);
        }
        if (containsExpected()) {
            finish(ctx, ProbeResult.OK);
        } else if (content instanceof LastHttpContent || body.size() >= HttpCheckSpec.MAX_BODY) {
            finish(ctx, ProbeResult.failed("body mismatch"));
        }
    }

    private boolean containsExpected() {
        byte[] b = body.toByteArray();
        outer:
        for (int i = 0; i + expectedBody.length <= b.length; i++) {
            for (int j = 0; j < expectedBody.length; j++) {
                if (b[i + j] != expectedBody[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        finish(ctx, ProbeResult.failed("connection closed"));
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        finish(ctx, ProbeResult.failed(ProbeFailures.ioReason(cause)));
    }

    private void finish(ChannelHandlerContext ctx, ProbeResult result) {
        body = null;
        callback.accept(result);
        ctx.close();
    }
}
