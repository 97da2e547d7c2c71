package io.pharos.health.active;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;

import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * One kind of non-blocking check against a backend, run on the event loop that owns the
 * {@link CheckSession}. Probes do not time themselves out: the session gives up after its timeout and
 * {@link Attempt#cancel() cancels} the attempt.
 */
public interface Probe {

    /** A started probe, which the session may abandon. */
    @FunctionalInterface
    interface Attempt {
        /** Closes whatever the probe opened; the callback is not called afterwards. Event loop only. */
        void cancel();
    }

    /**
     * Starts one probe. Call on {@code loop}; {@code callback} runs at most once, on {@code loop}, maybe
     * before this method returns.
     */
    Attempt start(EventLoop loop, InetSocketAddress address, Consumer<ProbeResult> callback);

    /**
     * {@code type = tcp}: the check passes when a TCP connection is established (then closed at once).
     *
     * @param channelFactory socket channels matching the loops' transport (epoll or NIO)
     */
    static Probe tcp(ChannelFactory<? extends Channel> channelFactory) {
        return new TcpProbe(channelFactory);
    }

    /**
     * {@code type = http}: one HTTP/1.1 request on a fresh connection ({@code Connection: close}).
     *
     * @param sslContext a client context when the backend speaks TLS, else {@code null}
     */
    static Probe http(HttpCheckSpec spec, ChannelFactory<? extends Channel> channelFactory, SslContext sslContext) {
        return new HttpProbe(spec, channelFactory, sslContext);
    }
}
