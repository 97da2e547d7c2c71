package io.pharos.gtm;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.pharos.health.config.HostPort;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** {@code tcp} probe: healthy when a connection opens within the timeout; closed right away. */
final class TcpRegionProbe implements RegionProbe {
    private final EventLoopGroup group;
    private final InetSocketAddress address;
    private final Duration timeout;

    /** Resolves {@code address} here (it may block on a name lookup): build on the control thread. */
    TcpRegionProbe(EventLoopGroup group, HostPort address, Duration timeout) {
        this.group = group;
        this.address = new InetSocketAddress(address.host(), address.port());
        this.timeout = timeout;
    }

    @Override
    public CompletableFuture<Result> probe() {
        CompletableFuture<Result> result = new CompletableFuture<>();
        ChannelFuture f = ProbeSupport.bootstrap(group, timeout).handler(new ChannelInboundHandlerAdapter())
                .connect(address);
        f.addListener((ChannelFuture cf) -> {
            if (cf.isSuccess()) {
                result.complete(new Result(true, "connected"));
                cf.channel().close();
            } else {
                result.complete(new Result(false, ProbeSupport.reason(cf.cause())));
            }
        });
        return result;
    }
}
