package io.pharos.proxy.admin;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import io.pharos.health.admin.AdminAggregator;
import io.pharos.proxy.config.PharosConfig.AdminConfig;
import io.pharos.proxy.transport.Transport;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The admin HTTP API on its own listener and its own single event loop ({@code pharos-admin}), apart
 * from the data-plane loops: reads (status, clusters, metrics) run there; changes are posted to the
 * runtime's control thread and answered when done. See {@link AdminHandler} for the routes.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AdminServer.class.getName());
    /** Largest request body accepted; larger: 413. */
    static final int MAX_BODY = 64 * 1024;

    private final EventLoopGroup group;
    private final Channel channel;

    private AdminServer(EventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    /**
     * Binds {@code config.listen()}. The config loader already refused a non-loopback address without a
     * token. Blocks until bound: control or main thread.
     *
     * @throws IllegalStateException when the address cannot be bound
     */
    public static AdminServer start(AdminConfig config, AdminView view, AdminActions actions) throws InterruptedException {
        Transport transport = Transport.best();
        EventLoopGroup group = transport.newGroup(1, "pharos-admin");
        AdminHandler handler = new AdminHandler(view, actions, config.token());
        try {
            Channel ch = transport.bindServer(group, config.listen().resolve(), p -> p
                    .addLast("codec", new HttpServerCodec())
                    .addLast("aggregator", new AdminAggregator(MAX_BODY))
                    .addLast("handler", handler));
            AdminServer s = new AdminServer(group, ch);
            LOG.info("admin API on http://" + config.listen().host() + ":" + s.localAddress().getPort()
                    + (config.token().isPresent() ? " (bearer token required)" : ""));
            return s;
        } catch (InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        } catch (Exception e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IllegalStateException("admin: cannot bind " + config.listen() + ": " + e.getMessage(), e);
        }
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Closes the listener and its loop. Blocks up to a few seconds. */
    @Override
    public void close() {
        channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
