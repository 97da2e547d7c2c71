package io.pharos.proxy.l7;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpDecoderConfig;

import java.util.function.Function;

/**
 * Pipeline of an accepted HTTP/1.1 client connection, and the handler of one HTTP/2 stream (whose
 * frames an HTTP/2 codec in front has turned into HTTP/1.1 objects). Stateless and shared by all of a
 * listener's connections; its methods run on the channel's event loop.
 */
public final class HttpProxyInitializer extends ChannelInitializer<Channel> {
    public static final String IDLE = "idle";
    public static final String HEAD_TIMEOUT = "head-timeout";
    public static final String DECODER = "decoder";
    public static final String ENCODER = "encoder";
    public static final String FRONTEND = "frontend";

    private final ListenerContext listener;
    private final Function<EventLoop, BackendConnectionPool> pools;
    /** Built once: the decoders copy what they need from it, and nothing changes it after. */
    private final HttpDecoderConfig decoderConfig;

    public HttpProxyInitializer(ListenerContext listener, Function<EventLoop, BackendConnectionPool> pools) {
        this.listener = listener;
        this.pools = pools;
        this.decoderConfig = HttpLimits.decoderConfig(listener.http().maxRequestLine(), listener.http().maxHeaderSize());
    }

    @Override
    protected void initChannel(Channel ch) {
        initHttp1(ch);
    }

    /** Adds the HTTP/1.1 handlers at the end of {@code ch}'s pipeline (also after TLS or protocol detection). */
    public void initHttp1(Channel ch) {
        var http = listener.http();
        ch.pipeline()
                .addLast(IDLE, new IdleTimeoutHandler(http.idleTimeout().toNanos()))
                .addLast(HEAD_TIMEOUT, new HeaderReadTimeoutHandler(http.headerReadTimeout().toNanos()))
                .addLast(DECODER, new ProxyRequestDecoder(decoderConfig))
                .addLast(ENCODER, new ProxyResponseEncoder())
                .addLast(FRONTEND, new HttpFrontendHandler(listener, pools.apply(ch.eventLoop())));
    }

    /** Adds the proxying handler of one HTTP/2 stream channel, after the frame-to-HTTP/1.1 codec. */
    public void initHttp2Stream(Channel stream) {
        stream.pipeline().addLast(FRONTEND, new HttpFrontendHandler(listener, pools.apply(stream.eventLoop())));
    }

    public ListenerContext listener() {
        return listener;
    }
}
