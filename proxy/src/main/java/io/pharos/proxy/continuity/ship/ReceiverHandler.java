package io.pharos.proxy.continuity.ship;

import io.netty.buffer.ByteBufUtil;
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
import io.pharos.health.admin.AdminResponses;
import io.pharos.health.admin.OrderedReplies;
import io.pharos.proxy.continuity.journal.JournalRecord;
import io.pharos.proxy.continuity.ship.ContinuityReceiver.Reply;
import io.pharos.proxy.continuity.ship.ReceiverStatus.Refusal;

import java.util.List;

/**
 * The receiver's routes: {@code POST /continuity/v1/records} (a batch) and
 * {@code GET /continuity/v1/status?origin=R}. Checks the token, the origin (present, path-safe, not this
 * region) and the content type, decodes the whole batch on the loop (nothing is appended from a batch
 * with one bad frame or record), then hands it to the origin's lane; answers are written in request
 * order on the connection's loop. Stateless: one instance serves every connection.
 */
@ChannelHandler.Sharable
final class ReceiverHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final ContinuityReceiver receiver;

    ReceiverHandler(ContinuityReceiver receiver) {
        this.receiver = receiver;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        assert ctx.executor().inEventLoop();
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (req.decoderResult().isFailure()) {
            refuse(ctx, Refusal.MALFORMED, "malformed HTTP request", false);
            return;
        }
        if (!receiver.gate().authorized(req)) {
            receiver.refused(Refusal.UNAUTHORIZED, "missing or wrong bearer token from " + ctx.channel().remoteAddress());
            OrderedReplies.send(ctx, AdminResponses.unauthorized(keepAlive), keepAlive);
            return;
        }
        QueryStringDecoder q = new QueryStringDecoder(req.uri());
        switch (q.path()) {
            case ShipProtocol.RECORDS_PATH -> {
                if (!req.method().equals(HttpMethod.POST)) {
                    notAllowed(ctx, "POST", keepAlive);
                } else {
                    records(ctx, req, keepAlive);
                }
            }
            case ShipProtocol.STATUS_PATH -> {
                if (!req.method().equals(HttpMethod.GET)) {
                    notAllowed(ctx, "GET", keepAlive);
                } else {
                    List<String> origin = q.parameters().get("origin");
                    if (origin == null || origin.size() != 1 || !ShipProtocol.isValidOrigin(origin.get(0))) {
                        refuse(ctx, Refusal.MALFORMED, "status needs one valid ?origin=REGION", keepAlive);
                    } else {
                        OrderedReplies.send(ctx, AdminResponses.json(HttpResponseStatus.OK, receiver.statusOf(origin.get(0)),
                                keepAlive), keepAlive);
                    }
                }
            }
            default -> OrderedReplies.send(ctx, AdminResponses.error(HttpResponseStatus.NOT_FOUND,
                    "no route " + q.path(), keepAlive), keepAlive);
        }
    }

    /** A connection that failed (a TLS handshake without a client certificate, a reset): remembered, closed. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        receiver.connectionFailed(ctx.channel().remoteAddress() + ": " + (cause.getCause() != null ? cause.getCause() : cause));
        ctx.close();
    }

    private void records(ChannelHandlerContext ctx, FullHttpRequest req, boolean keepAlive) {
        String origin = req.headers().get(ShipProtocol.ORIGIN_HEADER);
        if (!ShipProtocol.isValidOrigin(origin)) {
            refuse(ctx, Refusal.MALFORMED, "missing or invalid " + ShipProtocol.ORIGIN_HEADER + " header", keepAlive);
            return;
        }
        if (origin.equals(receiver.ownRegion())) {
            refuse(ctx, Refusal.OWN_ORIGIN, "records of origin " + origin + " are this region's own", keepAlive);
            return;
        }
        String type = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (type == null || !type.equals(ShipProtocol.CONTENT_TYPE)) {
            refuse(ctx, Refusal.MALFORMED, "content type " + type + " (expected " + ShipProtocol.CONTENT_TYPE + ")", keepAlive);
            return;
        }
        List<JournalRecord> batch;
        try {
            batch = ShipProtocol.decodeBatch(ByteBufUtil.getBytes(req.content()));
        } catch (ShipProtocol.BadBatchException e) {
            refuse(ctx, Refusal.MALFORMED, "batch from " + origin + ": " + e.getMessage(), keepAlive);
            return;
        }
        String problem = checkBatch(origin, batch);
        if (problem != null) {
            refuse(ctx, Refusal.MALFORMED, "batch from " + origin + ": " + problem, keepAlive);
            return;
        }
        OrderedReplies.reply(ctx, receiver.receive(origin, batch, ctx.executor()).thenApply(r -> response(r, keepAlive)),
                keepAlive);
    }

    /** Why a decoded batch cannot be taken (records of another origin, out of order), or null. */
    private static String checkBatch(String origin, List<JournalRecord> batch) {
        if (batch.isEmpty()) {
            return "no records";
        }
        for (int i = 0; i < batch.size(); i++) {
            JournalRecord r = batch.get(i);
            if (!r.originRegion().equals(origin)) {
                return "record " + r.sequence() + " has origin " + r.originRegion();
            }
            if (r.sequence() < 1 || (i > 0 && r.sequence() != batch.get(i - 1).sequence() + 1)) {
                return "record " + r.sequence() + " does not follow " + (i == 0 ? "0" : batch.get(i - 1).sequence());
            }
        }
        return null;
    }

    private static FullHttpResponse response(Reply r, boolean keepAlive) {
        if (r.refusal() == null) {
            return AdminResponses.json(HttpResponseStatus.OK, r.json(), keepAlive);
        }
        FullHttpResponse out = AdminResponses.json(HttpResponseStatus.valueOf(r.refusal().status()), r.json(), keepAlive);
        if (r.refusal() == Refusal.FULL) {
            out.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
        }
        return out;
    }

    private void refuse(ChannelHandlerContext ctx, Refusal reason, String message, boolean keepAlive) {
        receiver.refused(reason, message);
        OrderedReplies.send(ctx, AdminResponses.error(HttpResponseStatus.valueOf(reason.status()), message, keepAlive), keepAlive);
    }

    private static void notAllowed(ChannelHandlerContext ctx, String allowed, boolean keepAlive) {
        FullHttpResponse r = AdminResponses.error(HttpResponseStatus.METHOD_NOT_ALLOWED, "use " + allowed, keepAlive);
        r.headers().set(HttpHeaderNames.ALLOW, allowed);
        OrderedReplies.send(ctx, r, keepAlive);
    }
}
