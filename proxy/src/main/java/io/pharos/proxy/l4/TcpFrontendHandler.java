package io.pharos.proxy.l4;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.pharos.proxy.tls.ListenerTls;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.cluster.ClusterSnapshot;
import io.pharos.proxy.health.ProxyHealth;
import io.pharos.proxy.cluster.PickContext;
import io.pharos.proxy.proxyprotocol.ProxyProtocol;
import io.pharos.proxy.relay.HalfClose;
import io.pharos.proxy.relay.Relay;
import io.pharos.proxy.transport.Transport;
import io.pharos.proxy.tls.UpstreamTls;
import io.pharos.proxy.transport.Transport;

import java.util.ArrayDeque;
import java.util.function.IntConsumer;

/**
 * The client side of one proxied TCP connection until its backend connection is up: picks a backend,
 * connects on the same event loop (a failed connect is tried on another backend, up to
 * {@code retries.attempts}), sends the cluster's PROXY protocol header if configured, then hands both
 * connections to a relay and leaves the pipeline. Bytes the client sent before the backend connection was
 * up (Netty reads a socket on its FIN even with auto-read off) are kept and sent first, and a FIN that
 * came with them is passed on behind them.
 *
 * <p>The relay is the buffered {@link Relay} (backpressure, half-close) or, on epoll with plaintext on
 * both sides (no upstream TLS, no listener TLS: the initializer decides the latter) and unless the
 * listener says {@code splice = false}, the zero-copy {@link SpliceRelay}; both end the connection the same
 * way ({@link HalfClose}).
 *
 * <p>TLS listener ({@code clientTls}): the backend is picked and connected only once the client's
 * handshake succeeded (a client that fails it never reaches a backend); the backend's FIN is passed on
 * as a TLS {@code close_notify} followed by the TCP FIN. A client's {@code close_notify} ends the TLS
 * session both ways (the engine answers it and sends nothing after): it is passed on to the backend as
 * a FIN and the connection closes once that is out; a client that wants the backend's answer after its
 * own end half-closes with a bare TCP FIN.
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
    /** Null for plaintext. */
    private final ListenerTls listenerTls;
    private final UpstreamTls upstreamTls;
    private final PickContext pick = new PickContext();
    /** Set once in channelActive, on the loop. */
    private ChannelHandlerContext ctx;
    /** Loop-confined: the client's FIN arrived before the relay took over. */
    private boolean clientInputShut;
    /** Loop-confined: the client's TLS close_notify arrived before the relay took over (the engine shut its output). */
    private boolean clientOutputShut;
    /** Loop-confined: client bytes read while the backend connection was not up yet; null once handed on or released. */
    private ArrayDeque<ByteBuf> early = new ArrayDeque<>();
    /** Loop-confined: whether the connected backend was told the connection ended. */
    private boolean ended;

    /** {@code listenerTls}: the listener's certificates, or null for plaintext. */
    TcpFrontendHandler(Cluster cluster, Transport transport, ProxyHealth health, boolean spliceAllowed, ListenerTls listenerTls,
                       UpstreamTls upstreamTls) {
        this.cluster = cluster;
        this.transport = transport;
        this.health = health;
        this.spliceAllowed = spliceAllowed;
        this.listenerTls = listenerTls;
        this.clientTls = listenerTls != null;
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
            closeClient();
            return;
        }
        Backend b = snapshot.loadBalancer().pick(pick);
        if (b == null) {
            closeClient();
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
                    }
                });
        bootstrap.connect(b.socketAddress()).addListener((ChannelFutureListener) f -> {
            if (!ctx.channel().isActive()) {
                f.channel().close();
                return;
            }
            if (f.isSuccess()) {
                b.onStart();
                health.onSuccess(b);
                Channel backendChannel = f.channel();
                b.connections().add(backendChannel);
                ChannelFutureListener end = g -> end(b);
                ctx.channel().closeFuture().addListener(end);
                backendChannel.closeFuture().addListener(end);
                ProxyProtocol.sendHeader(backendChannel, snapshot.config().proxyProtocolSend(),
                        ProxyProtocol.clientAddress(ctx.channel()), ctx.channel().localAddress());
                relay(backendChannel, b, spliceAllowed && snapshot.config().upstreamTls().isEmpty());
            } else {
                b.stats().onFailure();
                health.onLocalFailure(b);
                connect(snapshot);
            }
        });
    }

    /**
     * Sends the early bytes and a FIN that came with them, then hands both connections to the splice relay
     * ({@code splice} and both channels on epoll) or the buffered one, whose handlers take this one's place.
     */
    private void relay(Channel backendChannel, Backend b, boolean splice) {
        Channel client = ctx.channel();
        HalfClose halfClose = new HalfClose(client, clientTls, backendChannel);
        var stats = b.stats();
        sendEarly(backendChannel, stats::addBytesSent);
        if (clientOutputShut) {
            halfClose.markOutputShut(client);
        }
        if (clientInputShut) {
            halfClose.markInputShut(client);
            halfClose.passFinFrom(client);
        }
        if (splice && client instanceof EpollSocketChannel in && backendChannel instanceof EpollSocketChannel out) {
            SpliceRelay relay = new SpliceRelay(halfClose, in, out, stats::addBytesSent, stats::addBytesReceived);
            install(backendChannel, relay.clientHandler(), relay.backendHandler());
            relay.start();
        } else {
            Relay relay = Relay.over(halfClose, stats::addBytesSent, stats::addBytesReceived);
            install(backendChannel, relay.clientHandler(), relay.backendHandler());
            relay.start();
        }
    }

    private void install(Channel backendChannel, ChannelHandler clientSide, ChannelHandler backendSide) {
        ctx.pipeline().replace(this, Relay.HANDLER, clientSide);
        backendChannel.pipeline().addLast(Relay.HANDLER, backendSide);
    }

    /** Writes (not flushes) the client bytes read before the backend connection was up. */
    private void sendEarly(Channel backendChannel, IntConsumer bytesSent) {
        ArrayDeque<ByteBuf> q = early;
        early = null;
        for (ByteBuf b; (b = q.poll()) != null; ) {
            bytesSent.accept(b.readableBytes());
            backendChannel.write(b, backendChannel.voidPromise());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (early == null) {
            ReferenceCountUtil.release(msg);
            return;
        }
        early.add((ByteBuf) msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent h) {
            if (!clientTls) {
                ctx.fireUserEventTriggered(evt);
            } else if (h.isSuccess()) {
                connect(cluster.snapshot());
            } else {
                listenerTls.handshakeFailed(ctx.channel(), h.cause());
                closeClient();
            }
        } else if (evt instanceof ChannelInputShutdownEvent) {
            // not connected yet: the FIN is passed on after the early bytes
            clientInputShut = true;
        } else if (clientTls && evt instanceof SslCloseCompletionEvent c && c.isSuccess()) {
            // the client's close_notify: the TLS engine closes our sending side with it (BoringSSL has no
            // TLS half-close), so nothing more can reach the client; the backend gets its FIN behind the
            // bytes before it, and the connection ends then
            clientOutputShut = true;
            clientInputShut = true;
        } else if (evt instanceof IdleStateEvent) {
            closeClient();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseEarly();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        closeClient();
    }

    private void releaseEarly() {
        ArrayDeque<ByteBuf> q = early;
        early = null;
        if (q != null) {
            q.forEach(ReferenceCountUtil::release);
        }
    }

    /** Ends a connection that has no backend connection yet. */
    private void closeClient() {
        releaseEarly();
        ctx.close();
    }

    /** The connection to {@code b} ended (the first of its two channels closed). */
    private void end(Backend b) {
        if (!ended) {
            ended = true;
            b.onEnd();
        }
    }
}
