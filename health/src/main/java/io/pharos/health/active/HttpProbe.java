package io.pharos.health.active;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.ssl.SslContext;

import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * {@code type = http}: a fresh connection (TLS when a context is given), one request, the status and
 * optionally the body checked by {@link HttpProbeHandler}. Stateless; attempts run on the caller's loop.
 */
final class HttpProbe implements Probe {
    static final String SSL = "ssl";
    static final String CODEC = "codec";
    static final String CHECK = "check";

    private final HttpCheckSpec spec;
    private final ChannelFactory<? extends Channel> channelFactory;
    private final SslContext sslContext;

    HttpProbe(HttpCheckSpec spec, ChannelFactory<? extends Channel> channelFactory, SslContext sslContext) {
        if (sslContext != null && sslContext.isServer()) {
            throw new IllegalArgumentException("sslContext: a server context (expected: a client context)");
        }
        this.spec = spec;
        this.channelFactory = channelFactory;
        this.sslContext = sslContext;
    }

    @Override
    public Attempt start(EventLoop loop, InetSocketAddress address, Consumer<ProbeResult> callback) {
        assert loop.inEventLoop();
        OnceCallback once = new OnceCallback(callback);
        String hostHeader = spec.host().orElseGet(() -> address.getHostString() + ":" + address.getPort());
        ChannelFuture connect = new Bootstrap()
                .group(loop)
                .channelFactory(channelFactory)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (sslContext != null) {
                            p.addLast(SSL, sslContext.newHandler(ch.alloc(), sniHost(hostHeader, address), address.getPort()));
                        }
                        p.addLast(CODEC, new HttpClientCodec());
                        p.addLast(CHECK, new HttpProbeHandler(spec, hostHeader, sslContext != null, once));
                    }
                })
                .connect(address);
        connect.addListener((ChannelFuture f) -> {
            if (!f.isSuccess() && !f.isCancelled()) {
                once.accept(ProbeResult.failed(ProbeFailures.connectReason(f.cause())));
            }
        });
        Channel ch = connect.channel();
        return () -> {
            once.disarm();
            ch.close();
        };
    }

    private static String sniHost(String hostHeader, InetSocketAddress address) {
        int colon = hostHeader.lastIndexOf(':');
        String host = colon > 0 && hostHeader.indexOf(']') < colon ? hostHeader.substring(0, colon) : hostHeader;
        return host.isEmpty() ? address.getHostString() : host;
    }
}
