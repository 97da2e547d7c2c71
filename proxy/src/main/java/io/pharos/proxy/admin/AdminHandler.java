package io.pharos.proxy.admin;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.pharos.health.admin.AdminError;
import io.pharos.health.admin.AdminGate;
import io.pharos.health.admin.AdminResponses;
import io.pharos.health.admin.OrderedReplies;
import io.pharos.proxy.admin.AdminActions.Outcome;
import io.pharos.proxy.cluster.ClusterSnapshot;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Routes admin requests (DESIGN.md's contract). Runs on the admin loop; reads answer there from the
 * {@link AdminView}, changes go to the control thread through {@link AdminActions} and are answered from
 * there, in request order ({@link OrderedReplies}). With a token, every request needs
 * {@code Authorization: Bearer TOKEN} ({@link AdminGate}).
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m)?");

    private final AdminView view;
    private final AdminActions actions;
    private final AdminGate gate;

    AdminHandler(AdminView view, AdminActions actions, Optional<String> token) {
        this.view = view;
        this.actions = actions;
        this.gate = AdminGate.of(token);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        gate.serve(ctx, req, (c, r, keepAlive) -> {
            QueryStringDecoder q = new QueryStringDecoder(r.uri());
            String[] p = q.path().equals("/") ? new String[0] : q.path().substring(1).split("/", -1);
            route(c, r, q, p, keepAlive);
        });
    }

    private void route(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder q, String[] p, boolean keepAlive) throws AdminError {
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
                case "continuity" -> {
                    method(m, HttpMethod.GET);
                    send(ctx, AdminResponses.json(HttpResponseStatus.OK, view.continuityJson(), keepAlive), keepAlive);
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
                throw new AdminError(HttpResponseStatus.NOT_FOUND, "no cluster '" + p[1] + "'");
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
                    if (m.equals(HttpMethod.DELETE)) {
                        yield actions.clearWeightAsync(cluster, backend);
                    }
                    if (!m.equals(HttpMethod.PUT)) {
                        throw new AdminError(HttpResponseStatus.METHOD_NOT_ALLOWED, "method " + m + " not allowed here (allowed: PUT, DELETE)");
                    }
                    yield actions.weightAsync(cluster, backend, weight(req));
                }
                default -> throw new AdminError(HttpResponseStatus.NOT_FOUND, "no such path: " + q.path());
            };
            reply(ctx, action.thenApply(o -> switch (o) {
                case OK -> AdminResponses.json(HttpResponseStatus.OK, AdminJson.backend(view.cluster(cluster), backend), keepAlive);
                case NO_CLUSTER -> AdminResponses.error(HttpResponseStatus.NOT_FOUND, "no cluster '" + cluster + "'", keepAlive);
                case NO_BACKEND -> AdminResponses.error(HttpResponseStatus.NOT_FOUND, "no backend '" + backend + "' in cluster '" + cluster + "'", keepAlive);
            }), keepAlive);
            return;
        }
        throw new AdminError(HttpResponseStatus.NOT_FOUND, "no such path: " + q.path());
    }

    private static void method(HttpMethod given, HttpMethod allowed) throws AdminError {
        AdminError.requireMethod(given, allowed);
    }

    private static Optional<Duration> timeout(QueryStringDecoder q) throws AdminError {
        List<String> v = q.parameters().get("timeout");
        if (v == null || v.isEmpty()) {
            return Optional.empty();
        }
        Matcher mt = DURATION.matcher(v.get(0));
        if (v.size() > 1 || !mt.matches()) {
            throw new AdminError(HttpResponseStatus.BAD_REQUEST, "timeout: '" + String.join(",", v) + "' (expected a duration like 500ms, 30s, 2m)");
        }
        long n = Long.parseLong(mt.group(1));
        String unit = mt.group(2) == null ? "s" : mt.group(2);
        return Optional.of(switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofSeconds(n);
        });
    }

    private static int weight(FullHttpRequest req) throws AdminError {
        Object body;
        try {
            body = JsonReader.parse(req.content().toString(StandardCharsets.UTF_8));
        } catch (JsonReader.JsonException e) {
            throw new AdminError(HttpResponseStatus.BAD_REQUEST, "bad JSON: " + e.getMessage());
        }
        if (!(body instanceof Map<?, ?> map) || !map.containsKey("weight")) {
            throw new AdminError(HttpResponseStatus.BAD_REQUEST, "expected {\"weight\": N}");
        }
        for (Object k : map.keySet()) {
            if (!k.equals("weight")) {
                throw new AdminError(HttpResponseStatus.BAD_REQUEST, "unknown member '" + k + "' (expected only weight)");
            }
        }
        Object w = map.get("weight");
        if (!(w instanceof Long n) || n < 0 || n > 65535) {
            throw new AdminError(HttpResponseStatus.BAD_REQUEST, "weight: " + w + " (expected: an integer in 0..65535)");
        }
        return n.intValue();
    }

    private static void reply(ChannelHandlerContext ctx, CompletableFuture<FullHttpResponse> answer, boolean keepAlive) {
        OrderedReplies.reply(ctx, answer, keepAlive);
    }

    private static void send(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
        OrderedReplies.send(ctx, r, keepAlive);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
