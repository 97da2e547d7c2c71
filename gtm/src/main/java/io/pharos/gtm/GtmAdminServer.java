package io.pharos.gtm;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.pharos.gtm.GtmConfig.Admin;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The sidecar's admin endpoint (default 127.0.0.1:9902): {@code GET /status}, {@code GET /metrics},
 * {@code POST /failover?to=REGION}, {@code POST /failback}. With a token configured every request needs
 * {@code Authorization: Bearer TOKEN} (compared in constant time), else 401. Bad input gets a 4xx JSON
 * body {@code {"error": "..."}}. One response per connection. Handlers run on the given event loops and
 * never block: the work is done on the sidecar's control thread.
 */
final class GtmAdminServer implements AutoCloseable {
    static final String CODEC = "http-codec";
    static final String AGGREGATOR = "http-aggregator";
    static final String HANDLER = "admin";

    private final Channel channel;

    private GtmAdminServer(Channel channel) {
        this.channel = channel;
    }

    /** Binds now (blocks until bound or failed): call on the sidecar's main thread. */
    static GtmAdminServer bind(Admin admin, EventLoopGroup group, AdminActions actions) throws InterruptedException {
        Channel ch = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(CODEC, new HttpServerCodec())
                                .addLast(AGGREGATOR, new HttpObjectAggregator(8 * 1024))
                                .addLast(HANDLER, new AdminHandler(actions, admin.token()));
                    }
                })
                .bind(new InetSocketAddress(admin.listen().host(), admin.listen().port())).sync().channel();
        return new GtmAdminServer(ch);
    }

    InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }

    /** Per connection; runs on its channel's event loop. */
    static final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final AdminActions actions;
        private final byte[] expectedAuthorization;

        AdminHandler(AdminActions actions, java.util.Optional<String> token) {
            this.actions = actions;
            this.expectedAuthorization = token.map(t -> ("Bearer " + t).getBytes(StandardCharsets.UTF_8)).orElse(null);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (!req.decoderResult().isSuccess()) {
                send(ctx, HttpResponseStatus.BAD_REQUEST, error("malformed request"), true);
                return;
            }
            if (expectedAuthorization != null) {
                String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION, "");
                if (!MessageDigest.isEqual(expectedAuthorization, auth.getBytes(StandardCharsets.UTF_8))) {
                    send(ctx, HttpResponseStatus.UNAUTHORIZED, error("missing or wrong bearer token"), true);
                    return;
                }
            }
            QueryStringDecoder q = new QueryStringDecoder(req.uri());
            String path = q.path();
            HttpMethod m = req.method();
            switch (path) {
                case "/status" -> {
                    if (allow(ctx, m, HttpMethod.GET)) {
                        reply(ctx, actions.statusJson(), s -> s, true);
                    }
                }
                case "/metrics" -> {
                    if (allow(ctx, m, HttpMethod.GET)) {
                        reply(ctx, actions.metricsText(), s -> s, false);
                    }
                }
                case "/failover" -> {
                    if (allow(ctx, m, HttpMethod.POST)) {
                        List<String> to = q.parameters().getOrDefault("to", List.of());
                        if (to.size() != 1 || to.get(0).isBlank()) {
                            send(ctx, HttpResponseStatus.BAD_REQUEST, error("expected exactly one query parameter to=REGION"), true);
                        } else {
                            reply(ctx, actions.failover(to.get(0)), GtmAdminServer::accepted, true);
                        }
                    }
                }
                case "/failback" -> {
                    if (allow(ctx, m, HttpMethod.POST)) {
                        reply(ctx, actions.failback(), GtmAdminServer::accepted, true);
                    }
                }
                default -> send(ctx, HttpResponseStatus.NOT_FOUND, error("no such resource: " + path), true);
            }
        }

        private static boolean allow(ChannelHandlerContext ctx, HttpMethod actual, HttpMethod expected) {
            if (actual.equals(expected)) {
                return true;
            }
            send(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, error(actual + " not allowed here (expected " + expected + ")"), true);
            return false;
        }

        private static <T> void reply(ChannelHandlerContext ctx, CompletableFuture<T> future,
                                      java.util.function.Function<T, String> body, boolean json) {
            future.whenComplete((v, t) -> ctx.executor().execute(() -> {
                Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
                if (cause instanceof FailoverDecider.RefusedException r) {
                    send(ctx, HttpResponseStatus.valueOf(r.status), error(r.getMessage()), true);
                } else if (cause != null) {
                    send(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, error(String.valueOf(cause.getMessage())), true);
                } else {
                    HttpResponseStatus status = v instanceof Decision ? HttpResponseStatus.ACCEPTED : HttpResponseStatus.OK;
                    send(ctx, status, body.apply(v), json);
                }
            }));
        }

        private static void send(ChannelHandlerContext ctx, HttpResponseStatus status, String body, boolean json) {
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, json ? "application/json" : "text/plain; version=0.0.4; charset=utf-8")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes())
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            if (status == HttpResponseStatus.UNAUTHORIZED) {
                res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
            }
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static String error(String message) {
        return Json.write(Map.of("error", message));
    }

    private static String accepted(Decision d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accepted", true);
        m.put("from", d.from());
        m.put("to", d.to());
        m.put("reason", d.reason());
        return Json.write(m);
    }
}
