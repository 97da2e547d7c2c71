package io.pharos.health.active;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;

import java.net.InetSocketAddress;
import java.util.function.Consumer;

/** {@code type = tcp}: connect, then close. Stateless; every attempt runs on the caller's loop. */
final class TcpProbe implements Probe {
    private final ChannelFactory<? extends Channel> channelFactory;

    TcpProbe(ChannelFactory<? extends Channel> channelFactory) {
        this.channelFactory = channelFactory;
    }

    @Override
    public Attempt start(EventLoop loop, InetSocketAddress address, Consumer<ProbeResult> callback) {
        assert loop.inEventLoop();
        OnceCallback once = new OnceCallback(callback);
        ChannelFuture connect = new Bootstrap()
                .group(loop)
                .channelFactory(channelFactory)
                .option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(address);
        connect.addListener((ChannelFuture f) -> {
            if (f.isSuccess()) {
                f.channel().close();
                once.accept(ProbeResult.OK);
            } else if (!f.isCancelled()) {
                once.accept(ProbeResult.failed(ProbeFailures.connectReason(f.cause())));
            }
        });
        Channel ch = connect.channel();
        return () -> {
            once.disarm();
            ch.close();
        };
    }
}
