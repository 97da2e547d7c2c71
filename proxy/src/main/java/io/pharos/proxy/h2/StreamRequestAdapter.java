package io.pharos.proxy.h2;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.HttpConversionUtil;

/**
 * Makes a translated HTTP/2 request look like what the HTTP/1.1 decoder produces: a request without
 * body (HEADERS with END_STREAM, which Netty turns into a {@link FullHttpRequest}) becomes a head plus
 * its last content, and Netty's {@code x-http2-*} bookkeeping headers are not sent to the backend.
 * Stateless.
 */
@ChannelHandler.Sharable
final class StreamRequestAdapter extends ChannelInboundHandlerAdapter {
    static final StreamRequestAdapter INSTANCE = new StreamRequestAdapter();

    private StreamRequestAdapter() {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpRequest full) {
            stripExtensions(full.headers());
            ctx.fireChannelRead(new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(), full.headers()));
            ctx.fireChannelRead(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
        } else {
            if (msg instanceof HttpRequest req) {
                stripExtensions(req.headers());
            }
            ctx.fireChannelRead(msg);
        }
    }

    private static void stripExtensions(HttpHeaders h) {
        for (HttpConversionUtil.ExtensionHeaderNames n : HttpConversionUtil.ExtensionHeaderNames.values()) {
            h.remove(n.text());
        }
    }
}
