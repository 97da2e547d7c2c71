package io.pharos.proxy.h2;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.pharos.proxy.l7.HttpProxyInitializer;

/**
 * Pipeline of one HTTP/2 stream channel: frames become HTTP/1.1 objects, then the same proxying
 * handler HTTP/1.1 connections use. The stream channel reads on demand, so a stream whose backend
 * can't keep up stops granting flow-control window to the client. Shared; runs on the connection's loop.
 */
final class Http2StreamInitializer extends ChannelInitializer<Channel> {
    static final String CODEC = "h2-stream-codec";
    static final String ADAPTER = "h2-stream-adapter";

    private final HttpProxyInitializer h1;

    Http2StreamInitializer(HttpProxyInitializer h1) {
        this.h1 = h1;
    }

    @Override
    protected void initChannel(Channel ch) {
        ch.config().setAutoRead(false);
        ch.pipeline()
                .addLast(CODEC, new Http2StreamFrameToHttpObjectCodec(true, true))
                .addLast(ADAPTER, StreamRequestAdapter.INSTANCE);
        h1.initHttp2Stream(ch);
    }
}
