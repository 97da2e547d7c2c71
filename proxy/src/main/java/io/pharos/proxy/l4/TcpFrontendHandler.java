package io.pharos.proxy.l4;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.cluster.ClusterSnapshot;
import io.pharos.proxy.health.ProxyHealth;
import io.pharos.proxy.cluster.PickContext;
import io.pharos.proxy.proxyprotocol.ProxyProtocol;
import io.pharos.proxy.tls.UpstreamTls;
import io.pharos.proxy.transport.Transport;

import java.util.ArrayDeque;

/**
 * The client side of one proxied TCP connection: picks a backend, connects on the same event loop
 * (a failed connect is tried on another backend, up to {@code retries.attempts}), sends the cluster's
 * PROXY protocol header if configured, then relays bytes both ways with backpressure (each side is
 * read again only after its last write completed) and half-close (a FIN from one side is passed on as
 * a shutdown of output to the other, behind every byte before it; the connection is closed once both
 * FINs are passed on). Bytes the client sent before the backend connection was up (Netty reads a
 * socket on its FIN even with auto-read off) are kept and sent first.
 *
 * <p>TLS listener ({@code clientTls}): the backend is picked and connected only once the client's
 * handshake succeeded (a client that fails it never reaches a backend); the backend's FIN is passed on
 * as a TLS {@code close_notify} followed by the TCP FIN. A client's {@code close_notify} ends the TLS
 * session both ways (the engine answers it and sends nothing after): it is passed on to the backend as
 * a FIN and the connection closes once that is out; a client that wants the backend's answer after its
 * own end half-closes with a bare TCP FIN.
 *
 * <p>Zero-copy: on epoll with plaintext on both sides (no upstream TLS, no listener TLS: the
 * initializer decides the latter) and unless the listener says {@code splice = false}, each side
 * {@code splice}s into the other through a kernel pipe ({@link #startSplice}); Netty pauses reading a
 * side while the other side's socket is full. Netty's splice loop shuts a side's input down on its FIN possibly before it
 * moved everything still queued in the socket; {@link SpliceTail} passes that on. A side whose input is
 * shut stops reading (its socket stays readable at EOF, which would wake the loop for ever). The
 * transport's {@code ReAddingEpollIoHandler} keeps such a half-closed channel usable for writes.
 *
 * <p>Loop-confined.
 */
final class TcpFrontendHandler extends ChannelInboundHandlerAdapter {
    private final Cluster cluster;
    /** Passive health: connect outcomes count for outlier detection. */
    private final ProxyHealth health;
    private final Transport transport;
    private final boolean spliceAllowed;
    /** Whether the listener terminates TLS (an SNI handler precedes this one). */
    private final boolean clientTls;
    private final UpstreamTls upstreamTls;
    private final PickContext pick = new PickContext();
    private ChannelHandlerContext ctx;
    /** Loop-confined: the backend connection once connected. */
    private Channel backendChannel;
    private Backend backend;
    /** Loop-confined: the client's FIN arrived. */
    private boolean clientInputShut;
    /** Loop-confined: the backend's FIN arrived. */
    private boolean backendInputShut;
    /** Loop-confined: the backend's FIN was passed on to the client (its output is shut). */
    private boolean clientOutputShut;
    /** Loop-confined: the client's FIN was passed on to the backend (its output is shut). */
    private boolean backendOutputShut;
    /** Loop-confined: client bytes read while the backend connection was not up yet; null once sent. */
    private ArrayDeque<ByteBuf> early = new ArrayDeque<>();
    private boolean ended;
    /** Loop-confined: whether both sides splice (bytes then bypass the pipelines). */
    private boolean splicing;
    /** Loop-confined: whether either side read since the last idle check (splice mode; reads bypass the idle handler). */
    private boolean activeSinceIdleCheck;

    TcpFrontendHandler(Cluster cluster, Transport transport, ProxyHealth health, boolean spliceAllowed, boolean clientTls,
                       UpstreamTls upstreamTls) {
        this.cluster = cluster;
        this.transport = transport;
        this.health = health;
        this.spliceAllowed = spliceAllowed;
        this.clientTls = clientTls;
        this.upstreamTls = upstreamTls;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        pick.reset(null, ProxyProtocol.clientAddress(ctx.channel()));
        if (clientTls) {
            // auto-read is off: the TLS handler reads on its own until the handshake is done
            ctx.read();
        } else {
            connect(cluster.snapshot());
        }
        ctx.fireChannelActive();
    }

    private void connect(ClusterSnapshot snapshot) {
        if (pick.triedCount() >= snapshot.config().retries().attempts()) {
            ctx.close();
            return;
        }
        Backend b = snapshot.loadBalancer().pick(pick);
        if (b == null) {
            ctx.close();
            return;
        }
        if (pick.triedCount() > 0) {
            b.stats().onRetry();
        }
        pick.addTried(b);
        b.stats().onConnectionOpened();
        Bootstrap bootstrap = new Bootstrap()
                .group(ctx.channel().eventLoop())
                .channel(transport.socketChannel())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) snapshot.config().timeouts().connect().toMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        snapshot.config().upstreamTls().ifPresent(u -> ch.pipeline().addLast(upstreamTls.newHandler(u, b, ch.alloc())));
                        ch.pipeline().addLast(new TcpBackendHandler(TcpFrontendHandler.this));
                    }
                });
        bootstrap.connect(b.socketAddress()).addListener((ChannelFutureListener) f -> {
            if (!ctx.channel().isActive()) {
                f.channel().close();
                return;
            }
            if (f.isSuccess()) {
                backend = b;
                b.onStart();
                health.onSuccess(b);
                backendChannel = f.channel();
                b.connections().add(backendChannel);
                ProxyProtocol.sendHeader(backendChannel, snapshot.config().proxyProtocolSend(),
                        ProxyProtocol.clientAddress(ctx.channel()), ctx.channel().localAddress());
                sendEarly();
                if (clientInputShut) {
                    passFinToBackend();
                }
                if (spliceAllowed && snapshot.config().upstreamTls().isEmpty()
                        && ctx.channel() instanceof EpollSocketChannel in && backendChannel instanceof EpollSocketChannel out) {
                    startSplice(in, out);
                } else {
                    backendChannel.flush();
                    if (!clientInputShut) {
                        ctx.read();
                    }
                    backendChannel.read();
                }
            } else {
                b.stats().onFailure();
                health.onLocalFailure(b);
                connect(snapshot);
            }
        });
    }

    /** Writes (not flushes) the client bytes read before the backend connection was up. */
    private void sendEarly() {
        ArrayDeque<ByteBuf> q = early;
        early = null;
        for (ByteBuf b; (b = q.poll()) != null; ) {
            backend.stats().addBytesSent(b.readableBytes());
            backendChannel.write(b, backendChannel.voidPromise());
        }
    }

    /**
     * Both sides splice into each other, reading on their own: the splice code turns reading off while
     * the target's socket is full and on again once the pipe is drained into it. A client that already
     * sent its FIN (before the backend was connected) has nothing left to splice.
     */
    private void startSplice(EpollSocketChannel in, EpollSocketChannel out) {
        splicing = true;
        SpliceStats.SPLICED.increment();
        // a splice ends with a failure also once its target's output is shut or its source closed after
        // its FIN was passed on: only a failure before that FIN is a broken relay
        if (!clientInputShut) {
            in.spliceTo(out, Integer.MAX_VALUE).addListener(f -> {
                if (!f.isSuccess() && !clientInputShut) {
                    closeBoth();
                }
            });
        }
        out.spliceTo(in, Integer.MAX_VALUE).addListener(f -> {
            if (!f.isSuccess() && !backendInputShut) {
                closeBoth();
            }
        });
        out.flush();
        if (!clientInputShut) {
            in.config().setAutoRead(true);
        }
        out.config().setAutoRead(true);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        activeSinceIdleCheck = true;
        if (splicing && clientInputShut) {
            // at EOF the socket stays readable; Netty's splice-out task may have turned reading back on
            ctx.channel().config().setAutoRead(false);
        }
        ctx.fireChannelReadComplete();
    }

    /** The backend side read (or spliced) something. */
    void onBackendReadComplete() {
        activeSinceIdleCheck = true;
        if (splicing && backendInputShut) {
            backendChannel.config().setAutoRead(false);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (early != null) {
            early.add((ByteBuf) msg);
            return;
        }
        Channel out = backendChannel;
        if (out == null || !out.isActive()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        backend.stats().addBytesSent(((ByteBuf) msg).readableBytes());
        out.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                if (!clientInputShut && !splicing && !inputShutdown(ctx.channel())) {
                    ctx.read();
                }
            } else {
                closeBoth();
            }
        });
    }

    /** Bytes from the backend, for the client. */
    void onBackendRead(Object msg) {
        if (backend != null) {
            backend.stats().addBytesReceived(((ByteBuf) msg).readableBytes());
        }
        ctx.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                if (!backendInputShut && backendChannel != null && !splicing && !inputShutdown(backendChannel)) {
                    backendChannel.read();
                }
            } else {
                closeBoth();
            }
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent h) {
            if (!clientTls) {
                ctx.fireUserEventTriggered(evt);
            } else if (h.isSuccess()) {
                connect(cluster.snapshot());
            } else {
                closeBoth();
            }
        } else if (evt instanceof ChannelInputShutdownEvent) {
            onClientInputShutdown(ctx);
        } else if (clientTls && evt instanceof SslCloseCompletionEvent c && c.isSuccess()) {
            // the client's close_notify: the TLS engine closes our sending side with it (BoringSSL has no
            // TLS half-close), so nothing more can reach the client; the backend gets its FIN behind the
            // bytes before it, and the connection ends then
            clientOutputShut = true;
            onClientInputShutdown(ctx);
        } else if (evt instanceof IdleStateEvent) {
            if (splicing && activeSinceIdleCheck) {
                // spliced bytes pass the idle handler unseen; only a whole quiet period counts
                activeSinceIdleCheck = false;
            } else {
                closeBoth();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** The client sent FIN (or a TLS close_notify). */
    private void onClientInputShutdown(ChannelHandlerContext ctx) {
        if (clientInputShut) {
            return;
        }
        clientInputShut = true;
        if (early != null) {
            // not connected yet: the FIN is passed on after the early bytes
            return;
        }
        if (splicing && !drainSpliceTail(ctx.channel(), backendChannel)) {
            return;
        }
        passFinToBackend();
    }

    /** The backend sent FIN. */
    void onBackendInputShutdown() {
        if (backendInputShut) {
            return;
        }
        backendInputShut = true;
        if (splicing && !drainSpliceTail(backendChannel, ctx.channel())) {
            return;
        }
        passFin(ctx.channel(), false);
    }

    private void passFinToBackend() {
        passFin(backendChannel, true);
    }

    /**
     * Shuts {@code to}'s output once everything written to it before is out (the FIN of the other side,
     * passed on); a write that failed before that means lost bytes, and the relay ends.
     */
    private void passFin(Channel to, boolean toBackend) {
        if (!(to instanceof DuplexChannel d) || !to.isActive()) {
            return;
        }
        to.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            if (!f.isSuccess()) {
                closeBoth();
                return;
            }
            SslHandler ssl = toBackend || !clientTls ? null : to.pipeline().get(SslHandler.class);
            if (ssl == null) {
                shutdownOutput(d, toBackend);
            } else {
                // close_notify first: a TLS client tells a truncation from a clean end by it
                ssl.closeOutbound().addListener(g -> shutdownOutput(d, toBackend));
            }
        });
    }

    private void shutdownOutput(DuplexChannel d, boolean toBackend) {
        d.shutdownOutput().addListener(g -> {
            if (toBackend) {
                backendOutputShut = true;
            } else {
                clientOutputShut = true;
            }
            if (clientOutputShut && backendOutputShut) {
                closeBoth();
            }
        });
    }

    /**
     * Whether the transport already shut {@code ch}'s input (its FIN event may not have reached us yet):
     * asking such a channel to read fails on epoll ({@code epoll_ctl} ENOENT).
     */
    private static boolean inputShutdown(Channel ch) {
        return ch instanceof DuplexChannel d && d.isInputShutdown();
    }

    /** Splice mode: passes on what {@code from} had queued behind its FIN; false (and both closed) if that failed. */
    private boolean drainSpliceTail(Channel from, Channel to) {
        if (!(from instanceof EpollSocketChannel in) || to == null || !to.isActive()) {
            return true;
        }
        try {
            SpliceTail.drain(in, to);
            return true;
        } catch (java.io.IOException e) {
            closeBoth();
            return false;
        }
    }

    void onBackendClosed() {
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        end();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseEarly();
        Channel out = backendChannel;
        if (out != null && out.isActive()) {
            out.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        end();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        closeBoth();
    }

    private void releaseEarly() {
        ArrayDeque<ByteBuf> q = early;
        early = null;
        if (q != null) {
            q.forEach(ReferenceCountUtil::release);
        }
    }

    private void closeBoth() {
        releaseEarly();
        ctx.close();
        if (backendChannel != null) {
            backendChannel.close();
        }
        end();
    }

    private void end() {
        if (!ended && backend != null) {
            ended = true;
            backend.onEnd();
        }
    }
}
