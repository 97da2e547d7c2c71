package io.pharos.proxy.l7;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.relay.HalfClose;
import io.pharos.proxy.relay.Relay;

/**
 * An upgraded connection (the backend answered {@code 101 Switching Protocols} to a request with
 * {@code Upgrade}, e.g. a WebSocket): the HTTP handlers leave both pipelines and the two connections
 * become a {@link Relay} (bytes as they are, backpressure, half-close passed on). The client connection's
 * idle timeout still applies and closes both. Loop-confined: both channels are on the client's event loop.
 */
final class UpgradeRelay {

    private UpgradeRelay() {
    }

    /**
     * Switches {@code client} and {@code backend} to relaying. Called on the loop by the frontend after the
     * 101 went out, possibly while the backend's HTTP decoder is still decoding: bytes it holds after the
     * 101 are handed on to the relay when it is removed, as are bytes the client's decoder holds after the
     * upgrade request. {@code backend} counts as busy until it closes.
     */
    static void start(Channel client, Channel backend, Backend target) {
        assert client.eventLoop().inEventLoop();
        ChannelPipeline cp = client.pipeline();
        ChannelPipeline bp = backend.pipeline();
        Relay relay = Relay.over(new HalfClose(client, cp.get(SslHandler.class) != null, backend), n -> { }, n -> { });
        cp.replace(HttpProxyInitializer.FRONTEND, Relay.HANDLER, relay.clientHandler());
        bp.replace(BackendConnectionPool.HANDLER, Relay.HANDLER, relay.backendHandler());
        // the codecs leave with both relay sides in place, each encoder before the other side's decoder
        // hands its leftover bytes on, so those pass through as they are
        removeIfPresent(cp, HttpProxyInitializer.HEAD_TIMEOUT);
        removeIfPresent(cp, HttpProxyInitializer.ENCODER);
        removeIfPresent(bp, BackendConnectionPool.CODEC);
        removeIfPresent(cp, HttpProxyInitializer.DECODER);
        backend.closeFuture().addListener(f -> target.onEnd());
        relay.start();
    }

    private static void removeIfPresent(ChannelPipeline p, String name) {
        if (p.get(name) != null) {
            p.remove(name);
        }
    }
}
