package io.pharos.proxy.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;

import java.util.function.IntConsumer;

/**
 * The byte relay between a client channel and a backend channel on the same event loop, used by a TCP
 * listener's connection (unless it is spliced) and by an upgraded HTTP/1.1 connection (a WebSocket
 * after the backend's {@code 101}). Bytes go both ways as they are, with backpressure: each side is read
 * again only after its last write to the other completed (both channels run with {@code AUTO_READ=false}).
 * A FIN is passed on behind every byte sent before it and the connection closes once both FINs are
 * passed on; an error, a reset or the client's idle timeout ({@code IdleStateEvent}) closes both; a side
 * that closes has the other closed once what was written to it is out ({@link HalfClose}).
 *
 * <p>Use: build it over a {@link HalfClose}, put {@link #clientHandler()} and {@link #backendHandler()}
 * last in the two pipelines (in place of whatever handled the connection before), then {@link #start()}.
 * Loop-confined: built, installed and started on the channels' event loop.
 */
public final class Relay {
    /** The pipeline name of a relay side, in both pipelines. */
    public static final String HANDLER = "relay";

    private final HalfClose halfClose;
    private final RelaySide clientSide;
    private final RelaySide backendSide;

    private Relay(HalfClose halfClose, IntConsumer fromClient, IntConsumer fromBackend) {
        this.halfClose = halfClose;
        this.clientSide = new RelaySide(halfClose, halfClose.client(), fromClient);
        this.backendSide = new RelaySide(halfClose, halfClose.backend(), fromBackend);
    }

    /**
     * A relay between {@code halfClose}'s two channels. {@code fromClient} and {@code fromBackend} are told
     * the size of every piece read from that side, as it is passed on (for byte counters).
     */
    public static Relay over(HalfClose halfClose, IntConsumer fromClient, IntConsumer fromBackend) {
        return new Relay(halfClose, fromClient, fromBackend);
    }

    /** The handler that goes last in the client's pipeline. */
    public ChannelHandler clientHandler() {
        return clientSide;
    }

    /** The handler that goes last in the backend's pipeline. */
    public ChannelHandler backendHandler() {
        return backendSide;
    }

    /**
     * Starts relaying once both handlers are in their pipelines: a FIN becomes an event instead of a close
     * ({@code ALLOW_HALF_CLOSURE} on both channels), what was written to either channel before is flushed,
     * and each side whose FIN has not been seen is asked to read.
     */
    public void start() {
        Channel client = halfClose.client();
        Channel backend = halfClose.backend();
        assert client.eventLoop().inEventLoop();
        client.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        backend.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        backend.flush();
        client.flush();
        clientSide.readUnlessFin();
        backendSide.readUnlessFin();
    }
}
