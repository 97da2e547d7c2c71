package io.pharos.proxy.admin;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.Attribute;
import io.netty.util.AttributeKey;
import io.pharos.proxy.admin.AdminActions.Outcome;
import io.pharos.proxy.cluster.ClusterSnapshot;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Routes admin requests (DESIGN.md's contract). Runs on the admin loop; reads answer there from the
 * {@link AdminView}, changes go to the control thread through {@link AdminActions} and are answered from there. With a token,
 * every request needs {@code Authorization: Bearer TOKEN}, compared in constant time.
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    /** The answer to the connection's latest request, written or not; set on the connection's event loop. */
    private static final AttributeKey<CompletableFuture<Void>> LAST_ANSWER = AttributeKey.valueOf("pharos.admin.lastAnswer");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m)?");

    private final AdminView view;
    private final AdminActions actions;
    private final byte[] expectedAuthorization;

    AdminHandler(AdminView view, AdminActions actions, Optional<String> token) {
        this.view = view;
        this.actions = actions;
        this.expectedAuthorization = token.map(t -> ("Bearer " + t).getBytes(StandardCharsets.UTF_8)).orElse(null);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (req.decoderResult().isFailure()) {
            send(ctx, AdminResponses.error(HttpResponseStatus.BAD_REQUEST, "malformed request", false), false);
            return;
        }
        if (!authorized(req)) {
            FullHttpResponse r = AdminResponses.error(HttpResponseStatus.UNAUTHORIZED, "missing or wrong bearer token", keepAlive);
            r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
            send(ctx, r, keepAlive);
            return;
        }
        QueryStringDecoder q = new QueryStringDecoder(req.uri());
        String[] p = q.path().equals("/") ? new String[0] : q.path().substring(1).split("/", -1);
        try {
            route(ctx, req, q, p, keepAlive);
        } catch (BadRequest e) {
            send(ctx, AdminResponses.error(e.status, e.getMessage(), keepAlive), keepAlive);
        }
    }

    private boolean authorized(FullHttpRequest req) {
        if (expectedAuthorization == null) {
            return true;
        }
        String given = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        return given != null && MessageDigest.isEqual(expectedAuthorization, given.getBytes(StandardCharsets.UTF_8));
    }

    /** A 4xx answer with a message. */
    private static final class BadRequest extends Exception {
        final HttpResponseStatus status;

        BadRequest(HttpResponseStatus status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    private void route(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder q, String[] p, boolean keepAlive) throws BadRequest {
        HttpMethod m = req.method();
        if (p.length == 1) {
            switch (p[0]) {
                case "healthz" -> {
                    method(m, HttpMethod.GET);
                    boolean up = view.isServing();
                    send(ctx, AdminResponses.of(up ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                            AdminResponses.TEXT, up ? "ok\n" : "shutting down\n", keepAlive), keepAlive);
                    return;
                }
                case "status" -> {
                    method(m, HttpMethod.GET);
                    send(ctx, AdminResponses.json(HttpResponseStatus.OK, AdminJson.status(view), keepAlive), keepAlive);
                    return;
                }
                case "metrics" -> {
                    method(m, HttpMethod.GET);
                    send(ctx, AdminResponses.of(HttpResponseStatus.OK, AdminResponses.PROMETHEUS, view.scrapeMetrics(), keepAlive), keepAlive);
                    return;
                }
                case "reload" -> {
                    method(m, HttpMethod.POST);
                    reply(ctx, actions.reloadAsync().thenApply(r -> AdminResponses.json(
                            r.ok() ? HttpResponseStatus.OK : HttpResponseStatus.BAD_REQUEST, AdminJson.reload(r), keepAlive)), keepAlive);
                    return;
                }
                case "clusters" -> {
                    method(m, HttpMethod.GET);
                    send(ctx, AdminResponses.json(HttpResponseStatus.OK, AdminJson.clusters(view.clusters()), keepAlive), keepAlive);
                    return;
                }
                default -> {
                }
            }
        }
        if (p.length == 2 && p[0].equals("clusters")) {
            method(m, HttpMethod.GET);
            ClusterSnapshot c = view.cluster(p[1]);
            if (c == null) {
                throw new BadRequest(HttpResponseStatus.NOT_FOUND, "no cluster '" + p[1] + "'");
            }
            send(ctx, AdminResponses.json(HttpResponseStatus.OK, AdminJson.cluster(c), keepAlive), keepAlive);
            return;
        }
        if (p.length == 5 && p[0].equals("clusters") && p[2].equals("backends")) {
            String cluster = p[1];
            String backend = p[3];
            CompletableFuture<Outcome> action = switch (p[4]) {
                case "drain" -> {
                    method(m, HttpMethod.POST);
                    yield actions.drainAsync(cluster, backend, timeout(q));
                }
                case "ready" -> {
                    method(m, HttpMethod.POST);
                    yield actions.readyAsync(cluster, backend);
                }
                case "weight" -> {
                    method(m, HttpMethod.PUT);
                    yield actions.weightAsync(cluster, backend, weight(req));
                }
                default -> throw new BadRequest(HttpResponseStatus.NOT_FOUND, "no such path: " + q.path());
            };
            reply(ctx, action.thenApply(o -> switch (o) {
                case OK -> AdminResponses.json(HttpResponseStatus.OK, AdminJson.backend(view.cluster(cluster), backend), keepAlive);
                case NO_CLUSTER -> AdminResponses.error(HttpResponseStatus.NOT_FOUND, "no cluster '" + cluster + "'", keepAlive);
                case NO_BACKEND -> AdminResponses.error(HttpResponseStatus.NOT_FOUND, "no backend '" + backend + "' in cluster '" + cluster + "'", keepAlive);
            }), keepAlive);
            return;
        }
        throw new BadRequest(HttpResponseStatus.NOT_FOUND, "no such path: " + q.path());
    }

    private static void method(HttpMethod given, HttpMethod allowed) throws BadRequest {
        if (!given.equals(allowed)) {
            throw new BadRequest(HttpResponseStatus.METHOD_NOT_ALLOWED, "method " + given + " not allowed here (allowed: " + allowed + ")");
        }
    }

    private static Optional<Duration> timeout(QueryStringDecoder q) throws BadRequest {
        List<String> v = q.parameters().get("timeout");
        if (v == null || v.isEmpty()) {
            return Optional.empty();
        }
        Matcher mt = DURATION.matcher(v.get(0));
        if (v.size() > 1 || !mt.matches()) {
            throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "timeout: '" + String.join(",", v) + "' (expected a duration like 500ms, 30s, 2m)");
        }
        long n = Long.parseLong(mt.group(1));
        String unit = mt.group(2) == null ? "s" : mt.group(2);
        return Optional.of(switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofSeconds(n);
        });
    }

    private static int weight(FullHttpRequest req) throws BadRequest {
        Object body;
        try {
            body = JsonReader.parse(req.content().toString(StandardCharsets.UTF_8));
        } catch (JsonReader.JsonException e) {
            throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "bad JSON: " + e.getMessage());
        }
        if (!(body instanceof Map<?, ?> map) || !map.containsKey("weight")) {
            throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "expected {\"weight\": N}");
        }
        for (Object k : map.keySet()) {
            if (!k.equals("weight")) {
                throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "unknown member '" + k + "' (expected only weight)");
            }
        }
        Object w = map.get("weight");
        if (!(w instanceof Long n) || n < 0 || n > 65535) {
            throw new BadRequest(HttpResponseStatus.BAD_REQUEST, "weight: " + w + " (expected: an integer in 0..65535)");
        }
        return n.intValue();
    }

    /**
     * Writes {@code answer} once it is ready and every earlier request's answer on this connection was
     * written: pipelined requests are answered in order even when an earlier one waits on the control
     * thread. Writes happen on the connection's event loop, and an answer counts as written only there,
     * so a later answer made on the loop cannot overtake one completed elsewhere.
     */
    private static void reply(ChannelHandlerContext ctx, CompletableFuture<FullHttpResponse> answer, boolean keepAlive) {
        Attribute<CompletableFuture<Void>> last = ctx.channel().attr(LAST_ANSWER);
        CompletableFuture<Void> previous = last.get();
        CompletableFuture<FullHttpResponse> inTurn = previous == null || previous.isDone() ? answer : previous.thenCompose(v -> answer);
        CompletableFuture<Void> written = new CompletableFuture<>();
        last.set(written);
        inTurn.whenComplete((r, e) -> {
            FullHttpResponse out = e == null ? r
                    : AdminResponses.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, String.valueOf(e.getCause() != null ? e.getCause() : e), false);
            Runnable w = () -> {
                write(ctx, out, e == null && keepAlive);
                written.complete(null);
            };
            if (ctx.executor().inEventLoop()) {
                w.run();
            } else {
                try {
                    ctx.executor().execute(w);
                } catch (RejectedExecutionException closing) {
                    out.release();
                }
            }
        });
    }

    private static void send(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
        reply(ctx, CompletableFuture.completedFuture(r), keepAlive);
    }

    private static void write(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
        if (keepAlive) {
            ctx.writeAndFlush(r, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
