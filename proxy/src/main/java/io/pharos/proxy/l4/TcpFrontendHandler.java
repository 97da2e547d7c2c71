package io.pharos.proxy.l4;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.cluster.ClusterSnapshot;
import io.pharos.proxy.health.ProxyHealth;
import io.pharos.proxy.lb.PickContext;
import io.pharos.proxy.server.Transport;

/**
 * The client side of one proxied TCP connection: picks a backend, connects on the same event loop
 * (a failed connect is tried on another backend, up to {@code retries.attempts}), then relays bytes
 * both ways with backpressure (each side is read again only after its last write completed) and
 * half-close (a FIN from one side is passed on as a shutdown of output to the other).
 *
 * <p>Loop-confined.
 */
final class TcpFrontendHandler extends ChannelInboundHandlerAdapter {
    private final Cluster cluster;
    /** Passive health: connect outcomes count for outlier detection. */
    private final ProxyHealth health;
    private final Transport transport;
    private final PickContext pick = new PickContext();
    private ChannelHandlerContext ctx;
    /** Loop-confined: the backend connection once connected. */
    private Channel backendChannel;
    private Backend backend;
    private boolean clientInputShut;
    private boolean backendInputShut;
    private boolean ended;

    TcpFrontendHandler(Cluster cluster, Transport transport, ProxyHealth health) {
        this.cluster = cluster;
        this.transport = transport;
        this.health = health;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        pick.reset(null, ctx.channel().remoteAddress());
        connect(cluster.snapshot());
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
        pick.addTried(b);
        b.onConnectionOpened();
        Bootstrap bootstrap = new Bootstrap()
                .group(ctx.channel().eventLoop())
                .channel(transport.socketChannel())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) snapshot.config().timeouts().connect().toMillis())
                .handler(new TcpBackendHandler(this));
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
                ctx.read();
                backendChannel.read();
            } else {
                b.onFailure();
                health.onLocalFailure(b);
                connect(snapshot);
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel out = backendChannel;
        if (out == null || !out.isActive()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        out.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                if (!clientInputShut) {
                    ctx.read();
                }
            } else {
                closeBoth();
            }
        });
    }

    /** Bytes from the backend, for the client. */
    void onBackendRead(Object msg) {
        ctx.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                if (!backendInputShut && backendChannel != null) {
                    backendChannel.read();
                }
            } else {
                closeBoth();
            }
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            clientInputShut = true;
            Channel out = backendChannel;
            if (out instanceof DuplexChannel d && out.isActive()) {
                // pass the client's FIN on once everything before it was written
                out.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> d.shutdownOutput());
            }
            closeIfBothShut();
        } else if (evt instanceof IdleStateEvent) {
            closeBoth();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** The backend sent FIN. */
    void onBackendInputShutdown() {
        backendInputShut = true;
        if (ctx.channel() instanceof DuplexChannel d && ctx.channel().isActive()) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> d.shutdownOutput());
        }
        closeIfBothShut();
    }

    private void closeIfBothShut() {
        if (clientInputShut && backendInputShut) {
            // both FINs passed on; close once the last writes are out
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> closeBoth());
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

    private void closeBoth() {
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
