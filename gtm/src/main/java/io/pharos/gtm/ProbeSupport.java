package io.pharos.gtm;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;

import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;

/** Shared bits of the region probes: the client bootstrap and the wording of failure reasons. */
final class ProbeSupport {
    private ProbeSupport() {
    }

    static Bootstrap bootstrap(EventLoopGroup group, Duration timeout) {
        return new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, timeout.toMillis()))
                .option(ChannelOption.SO_LINGER, 0);
    }

    static String reason(Throwable t) {
        if (t instanceof io.netty.channel.ConnectTimeoutException) {
            return "connect timeout";
        }
        if (t instanceof ConnectException) {
            return "connect refused";
        }
        if (t instanceof ClosedChannelException) {
            return "connection closed";
        }
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
