package io.pharos.proxy.admin;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;

/** Aggregates admin request bodies up to a limit; over it, answers 413 with a JSON body and closes. */
final class AdminAggregator extends HttpObjectAggregator {
    private final int max;

    AdminAggregator(int max) {
        super(max);
        this.max = max;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        ctx.writeAndFlush(AdminResponses.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                        "request body over " + max + " bytes", false))
                .addListener(ChannelFutureListener.CLOSE);
    }
}
