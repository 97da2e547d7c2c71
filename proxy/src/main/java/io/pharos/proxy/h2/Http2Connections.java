package io.pharos.proxy.h2;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.pharos.proxy.config.PharosConfig.HttpConfig;
import io.pharos.proxy.l7.HttpProxyInitializer;
import io.pharos.proxy.l7.ListenerContext;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline of a client connection that speaks HTTP/2 (ALPN {@code h2}, or cleartext with prior
 * knowledge): Netty's frame codec with its abuse limits on, and a multiplexer giving every stream its
 * own child channel, where {@link Http2StreamInitializer} puts the HTTP/1.1 proxying handler. Each
 * stream is thereby proxied over the listener's pooled HTTP/1.1 backend connections.
 *
 * <p>The connection channel reads on its own (flow control is per stream: a stream whose backend is
 * slow stops reading, so its window is not opened again); stream channels read on demand. Runs on the
 * connection's event loop.
 */
public final class Http2Connections {
    public static final String IDLE = "h2-idle";
    public static final String CODEC = "h2-codec";
    public static final String STREAM_ERRORS = "h2-stream-errors";
    public static final String MULTIPLEX = "h2-multiplex";
    public static final String IDLE_CLOSE = "h2-idle-close";

    /** SETTINGS_MAX_CONCURRENT_STREAMS we announce. */
    public static final int MAX_CONCURRENT_STREAMS = 100;
    /** RST_STREAM frames a client may send per window before the connection is closed (CVE-2023-44487). */
    public static final int MAX_RST_FRAMES_PER_WINDOW = 200;
    public static final int RST_WINDOW_SECONDS = 30;
    /** Consecutive CONTINUATION frames with tiny payloads tolerated (CONTINUATION flood, 2024). */
    public static final int MAX_SMALL_CONTINUATION_FRAMES = 16;
    /** Consecutive empty DATA frames tolerated (CVE-2019-9518). */
    public static final int MAX_CONSECUTIVE_EMPTY_DATA_FRAMES = 2;

    private Http2Connections() {
    }

    /** Turns {@code ch}, a client connection, into an HTTP/2 server connection proxying through {@code h1}. */
    public static void configure(Channel ch, HttpProxyInitializer h1) {
        HttpConfig http = h1.listener().http();
        ch.pipeline()
                .addLast(IDLE, new IdleStateHandler(0, 0, http.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
                .addLast(CODEC, newFrameCodec(http, h1.listener().drainTimeout()))
                .addLast(STREAM_ERRORS, StreamErrorResetter.INSTANCE)
                .addLast(MULTIPLEX, new Http2MultiplexHandler(new Http2StreamInitializer(h1)))
                .addLast(IDLE_CLOSE, IdleCloser.INSTANCE);
        ch.config().setAutoRead(true);
        if (h1.listener().isClosing()) {
            // the listener began draining before this connection chose HTTP/2: serve the streams that came
            // with its first bytes (handled before this task runs), then GOAWAY
            ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(ListenerContext.DRAIN));
        }
    }

    /** @param drainTimeout how long a closing connection waits for its open streams after its GOAWAY */
    static Http2FrameCodec newFrameCodec(HttpConfig http, Duration drainTimeout) {
        Http2Settings settings = Http2Settings.defaultSettings()
                .maxConcurrentStreams(MAX_CONCURRENT_STREAMS)
                .maxHeaderListSize(http.maxHeaderSize());
        return Http2FrameCodecBuilder.forServer()
                .initialSettings(settings)
                .validateHeaders(true)
                .gracefulShutdownTimeoutMillis(drainTimeout.toMillis())
                .decoderEnforceMaxRstFramesPerWindow(MAX_RST_FRAMES_PER_WINDOW, RST_WINDOW_SECONDS)
                .decoderEnforceMaxSmallContinuationFrames(MAX_SMALL_CONTINUATION_FRAMES)
                .decoderEnforceMaxConsecutiveEmptyDataFrames(MAX_CONSECUTIVE_EMPTY_DATA_FRAMES)
                .build();
    }

    /**
     * Closes an HTTP/2 connection on which nothing moved for the idle timeout, and drains one when its
     * listener is removed ({@link ListenerContext#DRAIN}) or the proxy shuts down ({@link ListenerContext#CLOSE_IF_IDLE}): the close goes
     * through Netty's connection handler, which sends {@code GOAWAY} (NO_ERROR, last stream = the last one
     * the client opened) so the client opens no more streams here, lets the open streams finish (for up to the drain timeout), and then
     * closes the connection: HTTP/2's equivalent of {@code Connection: close} on the next response. Stateless.
     */
    @io.netty.channel.ChannelHandler.Sharable
    static final class IdleCloser extends ChannelInboundHandlerAdapter {
        static final IdleCloser INSTANCE = new IdleCloser();

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent || evt == ListenerContext.CLOSE_IF_IDLE || evt == ListenerContext.DRAIN) {
                ctx.close();
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
