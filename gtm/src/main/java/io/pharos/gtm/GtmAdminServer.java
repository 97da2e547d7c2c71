package io.pharos.gtm;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.pharos.health.admin.AdminAggregator;
import io.pharos.health.admin.AdminError;
import io.pharos.health.admin.AdminGate;
import io.pharos.health.admin.AdminResponses;
import io.pharos.health.admin.OrderedReplies;
import io.pharos.gtm.GtmConfig.Admin;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * The sidecar's admin endpoint (default 127.0.0.1:9902): {@code GET /healthz}, {@code GET /status},
 * {@code GET /metrics}, {@code POST /failover?to=REGION[&hold=DURATION]}, {@code POST /failback}. Shares the proxy admin's plumbing
 * ({@code io.pharos.health.admin}): with a token configured every request needs
 * {@code Authorization: Bearer TOKEN} (compared in constant time), else 401; refusals are 4xx with the
 * JSON body {@code {"error": REASON, "status": CODE, "message": ...}}; keep-alive and pipelined requests
 * are answered in order. Handlers run on the given event loops and never block: the work is done on the
 * sidecar's control thread.
 */
final class GtmAdminServer implements AutoCloseable {
    static final String CODEC = "http-codec";
    static final String AGGREGATOR = "http-aggregator";
    static final String HANDLER = "admin";
    /** Largest request body accepted; larger: 413. */
    static final int MAX_BODY = 8 * 1024;

    private final Channel channel;

    private GtmAdminServer(Channel channel) {
        this.channel = channel;
    }

    /** Binds now (blocks until bound or failed): call on the sidecar's main thread. */
    static GtmAdminServer bind(Admin admin, EventLoopGroup group, AdminActions actions) throws InterruptedException {
        AdminHandler handler = new AdminHandler(actions, admin.token());
        Channel ch = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(CODEC, new HttpServerCodec())
                                .addLast(AGGREGATOR, new AdminAggregator(MAX_BODY))
                                .addLast(HANDLER, handler);
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

    /** Routes the sidecar's admin requests; stateless, shared by every connection, runs on their event loops. */
    @ChannelHandler.Sharable
    static final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final AdminActions actions;
        private final AdminGate gate;

        AdminHandler(AdminActions actions, Optional<String> token) {
            this.actions = actions;
            this.gate = AdminGate.of(token);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            gate.serve(ctx, req, (c, r, keepAlive) ->
                    OrderedReplies.reply(c, route(r.method(), new QueryStringDecoder(r.uri()), keepAlive), keepAlive));
        }

        private CompletableFuture<FullHttpResponse> route(HttpMethod m, QueryStringDecoder q, boolean keepAlive) throws AdminError {
            switch (q.path()) {
                case "/healthz" -> {
                    AdminError.requireMethod(m, HttpMethod.GET);
                    return answer(actions.healthz(), h -> AdminResponses.of(h.ok() ? HttpResponseStatus.OK
                            : HttpResponseStatus.SERVICE_UNAVAILABLE, AdminResponses.TEXT, h.text(), keepAlive), keepAlive);
                }
                case "/status" -> {
                    AdminError.requireMethod(m, HttpMethod.GET);
                    return answer(actions.statusJson(), s -> AdminResponses.json(HttpResponseStatus.OK, s, keepAlive), keepAlive);
                }
                case "/metrics" -> {
                    AdminError.requireMethod(m, HttpMethod.GET);
                    return answer(actions.metricsText(),
                            s -> AdminResponses.of(HttpResponseStatus.OK, AdminResponses.PROMETHEUS, s, keepAlive), keepAlive);
                }
                case "/failover" -> {
                    AdminError.requireMethod(m, HttpMethod.POST);
                    List<String> to = q.parameters().getOrDefault("to", List.of());
                    if (to.size() != 1 || to.get(0).isBlank()) {
                        throw new AdminError(HttpResponseStatus.BAD_REQUEST, "expected exactly one query parameter to=REGION");
                    }
                    List<String> hold = q.parameters().getOrDefault("hold", List.of());
                    if (hold.size() > 1) {
                        throw new AdminError(HttpResponseStatus.BAD_REQUEST, "expected at most one query parameter hold=DURATION");
                    }
                    Optional<Duration> holdFor;
                    try {
                        holdFor = hold.stream().findFirst().map(Hold::parseDuration);
                    } catch (IllegalArgumentException e) {
                        throw new AdminError(HttpResponseStatus.BAD_REQUEST, e.getMessage());
                    }
                    return answer(actions.failover(to.get(0), holdFor), d -> accepted(d, keepAlive), keepAlive);
                }
                case "/failback" -> {
                    AdminError.requireMethod(m, HttpMethod.POST);
                    return answer(actions.failback(), d -> accepted(d, keepAlive), keepAlive);
                }
                default -> throw new AdminError(HttpResponseStatus.NOT_FOUND, "no such resource: " + q.path());
            }
        }

        /** The response for {@code future}: a refusal keeps its 4xx, any other failure is a 503. Never fails. */
        private static <T> CompletableFuture<FullHttpResponse> answer(CompletableFuture<T> future,
                                                                     Function<T, FullHttpResponse> ok, boolean keepAlive) {
            return future.handle((v, t) -> {
                Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
                if (cause instanceof FailoverDecider.RefusedException r) {
                    return AdminResponses.error(HttpResponseStatus.valueOf(r.status), r.getMessage(), keepAlive);
                }
                if (cause != null) {
                    return AdminResponses.error(HttpResponseStatus.SERVICE_UNAVAILABLE, String.valueOf(cause.getMessage()), keepAlive);
                }
                return ok.apply(v);
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static FullHttpResponse accepted(Decision d, boolean keepAlive) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accepted", true);
        m.put("from", d.from());
        m.put("to", d.to());
        m.put("cause", d.cause().wireName());
        m.put("reason", d.reason());
        m.put("hold", d.hold().map(h -> h.untilFailback() ? Hold.FAILBACK : Duration.ofMillis(h.untilMillis() - d.timeMillis()).toString())
                .orElse(null));
        return AdminResponses.json(HttpResponseStatus.ACCEPTED, Json.write(m), keepAlive);
    }
}
