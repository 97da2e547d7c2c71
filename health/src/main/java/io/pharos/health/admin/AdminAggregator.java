package io.pharos.health.admin;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.concurrent.TimeUnit;

/**
 * Aggregates admin request bodies up to a limit; over it, answers 413 with a JSON body and closes.
 * One instance per connection, on its event loop.
 * The close lingers: the client is usually still sending the body, and closing a socket with unread
 * data resets it, which can destroy the 413 before the client reads it. So the output is shut down
 * (the client sees the answer and EOF), the rest of the body is read and discarded by the aggregator,
 * and the connection is closed when the client closes it or after {@link #LINGER_MILLIS}.
 */
public final class AdminAggregator extends HttpObjectAggregator {
    static final long LINGER_MILLIS = 2000;
    private final int max;
    private final Runnable onOversized;

    public AdminAggregator(int max) {
        this(max, () -> {
        });
    }

    /** @param onOversized runs on the loop before each 413 (to count them) */
    public AdminAggregator(int max, Runnable onOversized) {
        super(max);
        this.max = max;
        this.onOversized = onOversized;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        onOversized.run();
        Channel ch = ctx.channel();
        ctx.writeAndFlush(AdminResponses.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                        "request body over " + max + " bytes", false))
                .addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess() && ch instanceof DuplexChannel d) {
                        d.shutdownOutput();
                        ch.eventLoop().schedule(() -> ch.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
                    } else {
                        ch.close();
                    }
                });
    }
}
