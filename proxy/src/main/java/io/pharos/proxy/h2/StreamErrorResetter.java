package io.pharos.proxy.h2;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2FrameStreamException;

/**
 * Between the frame codec and the multiplexer: a stream error the decoder found (e.g. DATA not
 * matching the request's Content-Length, RFC 9113 8.1.1) resets that stream with the decoder's error
 * code, instead of the generic CANCEL the multiplexer sends when it drops the stream channel. The
 * error then goes on to the multiplexer, which closes the stream channel. Stateless.
 */
@ChannelHandler.Sharable
final class StreamErrorResetter extends ChannelInboundHandlerAdapter {
    static final StreamErrorResetter INSTANCE = new StreamErrorResetter();

    private StreamErrorResetter() {
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Http2FrameStreamException e) {
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(e.error()).stream(e.stream()), ctx.voidPromise());
        }
        ctx.fireExceptionCaught(cause);
    }
}
