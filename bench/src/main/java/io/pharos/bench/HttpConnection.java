package io.pharos.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * One load slot: a sequence of requests, one at a time, over one connection at a time (reconnecting when
 * the server closes, or for every request with {@code --new-conn}). Closed loop: the next request starts
 * when the previous response ends. Open loop: request {@code k} is due at
 * {@code origin + k * interval}; its latency is measured from that due time, not from when it could be
 * sent, so a stall is charged to every request that should have been sent during it (wrk2's
 * coordinated-omission correction).
 *
 * <p>Confined to one event loop: every method runs on {@link #loop}. It is the handler of each channel it
 * opens (one at a time; events of an older channel that is still closing are ignored).
 */
@ChannelHandler.Sharable
final class HttpConnection extends ChannelInboundHandlerAdapter implements HttpResponseParser.Listener {
    private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final InetSocketAddress target;
    private final ByteBuf request;
    private final LoadControl control;
    private final LoopStats stats;
    private final boolean newConnection;
    private final long intervalNanos;
    private final long timeoutNanos;
    private final HttpResponseParser parser = new HttpResponseParser(this);

    // All fields below are written only by the event loop.
    /** The current channel, or null between connections. */
    private Channel channel;
    /** True from connect() until the connect succeeds or fails. */
    private boolean connecting;
    /** Latency origin of the current request (due time in open loop, start in closed loop); -1 when none. */
    private long requestStart = -1;
    /** When the current request's bytes were written; -1 while not written. Timeouts count from here. */
    private long writtenAt = -1;
    /** Open loop: when the next request is due. */
    private long nextDue;
    /** Open loop: a timer for the next due request is pending. */
    private boolean timerPending;

    HttpConnection(EventLoop loop, Bootstrap bootstrap, InetSocketAddress target, ByteBuf request,
                   LoadControl control, LoopStats stats, boolean newConnection, long intervalNanos,
                   long firstDueNanos, long timeoutNanos) {
        this.loop = loop;
        this.bootstrap = bootstrap.clone().group(loop).handler(this);
        this.target = target;
        this.request = request;
        this.control = control;
        this.stats = stats;
        this.newConnection = newConnection;
        this.intervalNanos = intervalNanos;
        this.nextDue = firstDueNanos;
        this.timeoutNanos = timeoutNanos;
    }

    /** Starts the slot; may be called from any thread. */
    void startCrossThread() {
        loop.execute(this::next);
    }

    /** Decides when the next request starts: now (closed loop), at its due time (open loop), or never (stopped). */
    private void next() {
        assert loop.inEventLoop();
        if (!control.running() || requestStart >= 0) {
            return;
        }
        long now = System.nanoTime();
        if (intervalNanos == 0) {
            begin(now);
        } else if (now >= nextDue) {
            long due = nextDue;
            nextDue += intervalNanos;
            begin(due);
        } else if (!timerPending) {
            timerPending = true;
            loop.schedule(this::onTimer, nextDue - now, TimeUnit.NANOSECONDS);
        }
    }

    private void onTimer() {
        timerPending = false;
        next();
    }

    private void begin(long start) {
        requestStart = start;
        writtenAt = -1;
        if (channel != null && channel.isActive()) {
            write();
        } else if (!connecting) {
            connect();
        }
    }

    private void connect() {
        connecting = true;
        ChannelFuture f = bootstrap.connect(target);
        channel = f.channel();
        f.addListener(done -> onConnected((ChannelFuture) done));
    }

    private void onConnected(ChannelFuture f) {
        connecting = false;
        if (f.channel() != channel) {
            f.channel().close();
            if (channel == null && requestStart >= 0 && control.running()) {
                connect();
            }
            return;
        }
        if (!f.isSuccess()) {
            channel = null;
            if (control.recording()) {
                stats.error(ErrorKind.CONNECT);
            }
            if (control.running()) {
                loop.schedule(this::retryConnect, RETRY_NANOS, TimeUnit.NANOSECONDS);
            }
            return;
        }
        if (requestStart >= 0) {
            write();
        }
    }

    private void retryConnect() {
        if (!control.running() || connecting || (channel != null && channel.isActive())) {
            return;
        }
        if (requestStart >= 0) {
            connect();
        } else {
            next();
        }
    }

    private void write() {
        writtenAt = System.nanoTime();
        channel.writeAndFlush(request.retainedDuplicate(), channel.voidPromise());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (ctx.channel() != channel || !(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            if (control.recording()) {
                stats.addBytes(buf.readableBytes());
            }
            parser.feed(buf);
        } catch (HttpResponseParser.ProtocolException e) {
            if (control.recording()) {
                stats.error(ErrorKind.PROTOCOL);
            }
            requestStart = -1;
            dropChannel();
        } finally {
            buf.release();
        }
    }

    @Override
    public void onResponse(int status, boolean keepAlive) {
        long now = System.nanoTime();
        if (requestStart < 0) {
            return;
        }
        if (control.recording()) {
            stats.recordLatencyNanos(now - requestStart);
            if (status < 200 || status > 299) {
                stats.error(ErrorKind.STATUS);
            }
        }
        requestStart = -1;
        writtenAt = -1;
        if (newConnection || !keepAlive) {
            dropChannel();
        }
        next();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (ctx.channel() != channel) {
            return;
        }
        channel = null;
        parser.onClose();
        if (requestStart >= 0 && writtenAt >= 0) {
            if (control.recording()) {
                stats.error(ErrorKind.RESET);
            }
            requestStart = -1;
            writtenAt = -1;
        }
        parser.reset();
        next();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    /** Called every few ms by the loop's sweeper: closes a connection whose request waited too long. */
    void checkTimeout(long now) {
        if (requestStart >= 0 && writtenAt >= 0 && now - writtenAt > timeoutNanos) {
            if (control.recording()) {
                stats.error(ErrorKind.TIMEOUT);
            }
            requestStart = -1;
            writtenAt = -1;
            dropChannel();
            next();
        }
    }

    /** Stops using the current channel (a later inactive event for it is ignored) and closes it. */
    private void dropChannel() {
        Channel c = channel;
        channel = null;
        parser.reset();
        if (c != null) {
            c.close();
        }
    }

    /** Closes the current channel at the end of the run. */
    void close() {
        assert loop.inEventLoop();
        dropChannel();
    }
}
