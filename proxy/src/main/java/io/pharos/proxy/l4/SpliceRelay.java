package io.pharos.proxy.l4;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.epoll.EpollSocketChannel;
import io.pharos.proxy.relay.HalfClose;
import io.pharos.proxy.relay.RelayHandler;

import java.io.IOException;
import java.util.function.IntConsumer;

/**
 * The zero-copy relay of a plaintext TCP connection on epoll: each side {@code splice}s into the other
 * through a kernel pipe, reading on its own; Netty pauses reading a side while the other side's socket is
 * full. Bytes bypass both pipelines; what the pipelines still see (FINs, closes, errors, the idle timer)
 * ends the connection as the buffered relay does ({@link HalfClose}), with one step more: Netty's splice
 * loop shuts a side's input down on its FIN possibly before it moved everything still queued in the
 * socket, and {@link SpliceTail} passes that on before the FIN. A side whose input is shut stops reading
 * (its socket stays readable at EOF, which would wake the loop for ever); the transport's
 * {@code ReAddingEpollIoHandler} keeps such a half-closed channel usable for writes. Spliced bytes pass
 * the idle handler unseen, so only a whole quiet period closes the connection. Loop-confined: both
 * channels are on one loop, which builds, starts and runs it.
 */
final class SpliceRelay {
    private final HalfClose halfClose;
    private final EpollSocketChannel client;
    private final EpollSocketChannel backend;
    private final Side clientSide;
    private final Side backendSide;
    /** Loop-confined: whether either side read since the last idle check. */
    private boolean activeSinceIdleCheck;

    /**
     * {@code fromClient} and {@code fromBackend} count the bytes that still pass a pipeline (those a
     * handler in front kept back, such as the PROXY protocol accept handler); spliced bytes are not seen.
     */
    SpliceRelay(HalfClose halfClose, EpollSocketChannel client, EpollSocketChannel backend, IntConsumer fromClient,
                IntConsumer fromBackend) {
        this.halfClose = halfClose;
        this.client = client;
        this.backend = backend;
        this.clientSide = new Side(halfClose, client, fromClient);
        this.backendSide = new Side(halfClose, backend, fromBackend);
    }

    /** The handler that goes last in the client's pipeline. */
    ChannelHandler clientHandler() {
        return clientSide;
    }

    /** The handler that goes last in the backend's pipeline. */
    ChannelHandler backendHandler() {
        return backendSide;
    }

    /**
     * Both sides splice into each other, reading on their own: the splice code turns reading off while
     * the target's socket is full and on again once the pipe is drained into it. A client whose FIN
     * already arrived (before the backend was connected) has nothing left to splice.
     */
    void start() {
        assert client.eventLoop().inEventLoop();
        SpliceStats.SPLICED.increment();
        boolean clientDone = halfClose.inputShut(client);
        // a splice ends with a failure also once its target's output is shut or its source closed after
        // its FIN was passed on: only a failure before that FIN is a broken relay
        if (!clientDone) {
            client.spliceTo(backend, Integer.MAX_VALUE).addListener(f -> {
                if (!f.isSuccess() && !halfClose.inputShut(client)) {
                    halfClose.closeBoth();
                }
            });
        }
        backend.spliceTo(client, Integer.MAX_VALUE).addListener(f -> {
            if (!f.isSuccess() && !halfClose.inputShut(backend)) {
                halfClose.closeBoth();
            }
        });
        backend.flush();
        if (!clientDone) {
            client.config().setAutoRead(true);
        }
        backend.config().setAutoRead(true);
    }

    /**
     * One side's pipeline end: bytes that still pass the pipeline, FIN, close, error and idle as a
     * {@link RelayHandler}, plus the splice's tail and quiet check.
     */
    private final class Side extends RelayHandler {
        private final EpollSocketChannel epoll;

        Side(HalfClose halfClose, EpollSocketChannel channel, IntConsumer bytesRead) {
            super(halfClose, channel, bytesRead);
            this.epoll = channel;
        }

        /** The splice reads on its own. */
        @Override
        protected void onWritten() {
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            activeSinceIdleCheck = true;
            if (halfClose.inputShut(channel)) {
                // at EOF the socket stays readable; Netty's splice-out task may have turned reading back on
                channel.config().setAutoRead(false);
            }
        }

        /** Passes on what the socket still had queued behind the FIN. */
        @Override
        protected boolean beforeFinPassedOn() {
            if (!peer.isActive()) {
                return true;
            }
            try {
                SpliceTail.drain(epoll, peer);
                return true;
            } catch (IOException e) {
                halfClose.closeBoth();
                return false;
            }
        }

        /** Spliced bytes pass the idle handler unseen: only a whole quiet period closes. */
        @Override
        protected void onIdle() {
            if (activeSinceIdleCheck) {
                activeSinceIdleCheck = false;
            } else {
                halfClose.closeBoth();
            }
        }
    }
}
