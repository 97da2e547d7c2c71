package io.pharos.proxy.relay;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;

/**
 * How one relayed connection ends: a client channel and a backend channel on the same event loop. A
 * FIN read on one side is passed on as a shutdown of the other side's output, behind every byte written
 * to it before; once both FINs are passed on both channels are closed; a failure closes both at once.
 * When the client side terminates TLS here, a FIN passed on to it is a TLS {@code close_notify} followed
 * by the TCP FIN (a TLS client tells a truncation from a clean end by it), and the client's own
 * {@code close_notify} ends its side both ways (the engine answers it and sends nothing after: BoringSSL
 * has no TLS half-close). Shared by the buffered {@link Relay} and the TCP splice relay, which move bytes
 * differently but end the same way. Loop-confined: every method runs on the channels' event loop.
 */
public final class HalfClose {
    private final Channel client;
    private final Channel backend;
    /** Whether the client side terminates TLS here. */
    private final boolean clientTls;
    /** Loop-confined: the client's FIN (or TLS close_notify) arrived. */
    private boolean clientInputShut;
    /** Loop-confined: the backend's FIN arrived. */
    private boolean backendInputShut;
    /** Loop-confined: the client's output is shut (the backend's FIN was passed on, or its TLS engine closed). */
    private boolean clientOutputShut;
    /** Loop-confined: the backend's output is shut (the client's FIN was passed on). */
    private boolean backendOutputShut;

    /** {@code clientTls}: whether {@code client}'s pipeline terminates TLS (its {@link SslHandler} then sends close_notify). */
    public HalfClose(Channel client, boolean clientTls, Channel backend) {
        this.client = client;
        this.clientTls = clientTls;
        this.backend = backend;
    }

    Channel client() {
        return client;
    }

    Channel backend() {
        return backend;
    }

    /** The other channel of the pair. */
    Channel peer(Channel side) {
        return side == client ? backend : client;
    }

    /** Whether {@code side} terminates TLS here, so that its close_notify counts as its FIN. */
    boolean terminatesTls(Channel side) {
        return side == client && clientTls;
    }

    /** Whether {@code side}'s FIN arrived; such a side is never asked to read again. */
    public boolean inputShut(Channel side) {
        assert side.eventLoop().inEventLoop();
        return side == client ? clientInputShut : backendInputShut;
    }

    /** Records that {@code side}'s FIN arrived; false when it was recorded before. */
    public boolean markInputShut(Channel side) {
        assert side.eventLoop().inEventLoop();
        if (inputShut(side)) {
            return false;
        }
        if (side == client) {
            clientInputShut = true;
        } else {
            backendInputShut = true;
        }
        return true;
    }

    /** Records that {@code side}'s TLS engine closed its sending half itself (it answered a close_notify). */
    public void markOutputShut(Channel side) {
        assert side.eventLoop().inEventLoop();
        if (side == client) {
            clientOutputShut = true;
        } else {
            backendOutputShut = true;
        }
    }

    /**
     * Passes {@code from}'s FIN on: shuts the other channel's output once everything written to it before is
     * out; a write that failed before that means lost bytes, and both are closed. Both are closed, too,
     * once both FINs are passed on.
     */
    public void passFinFrom(Channel from) {
        assert from.eventLoop().inEventLoop();
        Channel to = peer(from);
        if (!(to instanceof DuplexChannel d) || !to.isActive()) {
            return;
        }
        to.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            if (!f.isSuccess()) {
                closeBoth();
                return;
            }
            SslHandler ssl = terminatesTls(to) ? to.pipeline().get(SslHandler.class) : null;
            if (ssl == null) {
                shutdownOutput(d);
            } else {
                ssl.closeOutbound().addListener(g -> shutdownOutput(d));
            }
        });
    }

    private void shutdownOutput(DuplexChannel d) {
        d.shutdownOutput().addListener(g -> {
            markOutputShut(d);
            if (clientOutputShut && backendOutputShut) {
                closeBoth();
            }
        });
    }

    /** {@code side} closed: the other channel is closed once what was written to it is out. */
    void onClosed(Channel side) {
        assert side.eventLoop().inEventLoop();
        Channel other = peer(side);
        if (other.isActive()) {
            other.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Closes both channels now. */
    public void closeBoth() {
        assert client.eventLoop().inEventLoop();
        client.close();
        backend.close();
    }
}
