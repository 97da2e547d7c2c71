package io.pharos.proxy.l7;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.timeout.IdleStateHandler;

import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** Pipeline of an accepted HTTP/1.1 client connection. Stateless and shared by all of a listener's connections. */
public final class HttpProxyInitializer extends ChannelInitializer<Channel> {
    public static final String IDLE = "idle";
    public static final String HEAD_TIMEOUT = "head-timeout";
    public static final String DECODER = "decoder";
    public static final String ENCODER = "encoder";
    public static final String FRONTEND = "frontend";

    private final ListenerContext listener;
    private final Function<EventLoop, BackendConnectionPool> pools;

    public HttpProxyInitializer(ListenerContext listener, Function<EventLoop, BackendConnectionPool> pools) {
        this.listener = listener;
        this.pools = pools;
    }

    @Override
    protected void initChannel(Channel ch) {
        var http = listener.http();
        ch.pipeline()
                .addLast(IDLE, new IdleStateHandler(0, 0, http.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
                .addLast(HEAD_TIMEOUT, new HeaderReadTimeoutHandler(http.headerReadTimeout().toNanos()))
                .addLast(DECODER, new ProxyRequestDecoder(HttpLimits.decoderConfig(http.maxRequestLine(), http.maxHeaderSize())))
                .addLast(ENCODER, new ProxyResponseEncoder())
                .addLast(FRONTEND, new HttpFrontendHandler(listener, pools.apply(ch.eventLoop())));
    }
}
