package io.pharos.proxy.continuity.apply;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.BackendByteCounter;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.cluster.ClusterSnapshot;
import io.pharos.proxy.cluster.LoadBalancer;
import io.pharos.proxy.cluster.PickContext;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;

import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One lane of an {@link Applier}: applies its records one at a time, in the order the reader hands them
 * over (sequence order), each until it is applied: a try picks a backend of the record's cluster through
 * its load balancer, sends the replay on a keep-alive connection of this lane, and on a failed answer,
 * a connection failure or a timeout tries again after a backoff, forever.
 *
 * <p>Loop-confined: everything runs on its event loop but {@link #offerCrossThread} and
 * {@link #closeCrossThread}, which hop onto it.
 */
final class Lane {
    private static final Logger LOG = Logger.getLogger(Lane.class.getName());
    static final String CODEC = "codec";
    static final String HANDLER = "replay";
    static final String TLS = "upstream-tls";

    private final EventLoop loop;
    private final LaneContext ctx;
    private final Bootstrap bootstrap;
    private final PickContext pick = new PickContext();
    /** Records waiting for the current one; loop only. */
    private final ArrayDeque<PendingRecord> queue = new ArrayDeque<>();
    /** This lane's idle keep-alive connection to each backend it used; loop only. */
    private final Map<Backend, Idle> idle = new IdentityHashMap<>();
    /** The record being applied, or null; loop only. */
    private PendingRecord current;
    /** The try in progress, or null between tries; loop only. */
    private Try inProgress;
    /** The next try of {@link #current} after a failure, or null; loop only. */
    private ScheduledFuture<?> retryTimer;
    /** Set once by {@link #closeCrossThread}; loop only. */
    private boolean closed;

    private record Idle(Channel channel, long sinceNanos) {
    }

    Lane(EventLoop loop, LaneContext ctx) {
        this.loop = loop;
        this.ctx = ctx;
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(ctx.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true);
    }

    /** Any thread: queues {@code p} behind this lane's records; dropped once the lane is closed. */
    void offerCrossThread(PendingRecord p) {
        try {
            loop.execute(() -> {
                if (closed) {
                    return;
                }
                queue.add(p);
                if (current == null) {
                    next();
                }
            });
        } catch (RejectedExecutionException e) {
            // the loops are shutting down, so is the applier: the record is applied after the restart
        }
    }

    /** Any thread: stops trying, closes this lane's connections; the future completes once done. */
    Future<?> closeCrossThread() {
        return loop.submit(() -> {
            closed = true;
            if (retryTimer != null) {
                retryTimer.cancel(false);
                retryTimer = null;
            }
            Try t = inProgress;
            if (t != null) {
                t.abandon();
            }
            for (Idle i : idle.values()) {
                i.channel.close();
            }
            idle.clear();
            queue.clear();
            current = null;
        });
    }

    private void next() {
        current = queue.poll();
        if (current != null) {
            startTry();
        }
    }

    private void startTry() {
        assert loop.inEventLoop();
        retryTimer = null;
        PendingRecord p = current;
        if (closed || p == null) {
            return;
        }
        p.startTry();
        String name = p.record.cluster();
        Cluster cluster;
        try {
            cluster = ctx.clusters().apply(name);
        } catch (RuntimeException e) {
            retryLater(p, "looking up cluster '" + name + "': " + ReplayResponseHandler.describe(e), null);
            return;
        }
        if (cluster == null) {
            retryLater(p, "no cluster '" + name + "' here", null);
            return;
        }
        ClusterSnapshot snapshot = cluster.snapshot();
        ClusterConfig config = snapshot.config();
        if (config.upstreamTls().isPresent() && ctx.tls() == null) {
            retryLater(p, "cluster '" + name + "' has upstream-tls, but the applier was given no client TLS", null);
            return;
        }
        Backend backend = pick(snapshot.loadBalancer(), p);
        if (backend == null) {
            retryLater(p, "cluster '" + name + "' has no usable backend", null);
            return;
        }
        Try t = new Try(p, backend, config);
        inProgress = t;
        backend.onStart();
        Channel ch = takeIdle(backend, config);
        if (ch != null) {
            t.send(ch, true);
        } else {
            t.connect();
        }
    }

    /** A usable backend, preferring one other than the last that failed this record; null when none is usable. */
    private Backend pick(LoadBalancer lb, PendingRecord p) {
        String key = p.record.partitionKey();
        pick.reset(null, null).hashKey(key);
        if (p.lastFailed() != null) {
            pick.addTried(p.lastFailed());
        }
        Backend b = lb.pick(pick);
        if (b == null && pick.triedCount() > 0) {
            b = lb.pick(pick.reset(null, null).hashKey(key));
        }
        return b;
    }

    /** This lane's idle connection to {@code backend} if it is still good; drops those that are not, of every backend. */
    private Channel takeIdle(Backend backend, ClusterConfig config) {
        long now = System.nanoTime();
        long idleNanos = config.timeouts().idle().toNanos();
        for (Iterator<Map.Entry<Backend, Idle>> it = idle.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Backend, Idle> e = it.next();
            Idle i = e.getValue();
            if (e.getKey().isRemoved() || !i.channel.isActive() || (e.getKey() == backend && now - i.sinceNanos > idleNanos)) {
                it.remove();
                i.channel.close();
            }
        }
        Idle i = idle.remove(backend);
        return i == null ? null : i.channel;
    }

    private void keepIdle(Backend backend, Channel ch) {
        if (closed || backend.isRemoved() || !ch.isActive()) {
            ch.close();
            return;
        }
        Idle old = idle.put(backend, new Idle(ch, System.nanoTime()));
        if (old != null) {
            old.channel.close();
        }
    }

    private void applied(PendingRecord p, int status) {
        ctx.applied().increment();
        if (status >= 300) {
            ctx.alreadyApplied().increment();
        }
        ctx.window().complete(p.sequence());
        next();
    }

    private void retryLater(PendingRecord p, String why, Backend backend) {
        inProgress = null;
        p.failed(why, backend);
        ctx.retries().increment();
        int failures = p.attempts();
        if (Integer.bitCount(failures) == 1) {
            LOG.log(Level.WARNING, "replay " + ReplayRequest.replayMark(p.record) + " to cluster " + p.record.cluster()
                    + " failed (try " + failures + "): " + why + "; trying again");
        }
        if (closed) {
            return;
        }
        long delay = Backoff.delayNanos(failures, ctx.settings().backoffMin().toNanos(),
                ctx.settings().backoffMax().toNanos(), ThreadLocalRandom.current().nextDouble());
        retryTimer = loop.schedule(this::startTry, delay, TimeUnit.NANOSECONDS);
    }

    /** One try of the current record on one backend. Loop-confined. */
    private final class Try implements ReplayResponseHandler.Listener {
        private final PendingRecord p;
        private final Backend backend;
        private final ClusterConfig config;
        private Channel channel;
        /** Whether {@link #channel} was an idle one (a failure before any answer may be a stale connection). */
        private boolean reused;
        private ScheduledFuture<?> timeout;
        private long sentNanos;
        /** Set when the try ended, so late callbacks change nothing. */
        private boolean done;

        Try(PendingRecord p, Backend backend, ClusterConfig config) {
            this.p = p;
            this.backend = backend;
            this.config = config;
        }

        void connect() {
            backend.stats().onConnectionOpened();
            ChannelFuture f = bootstrap.clone()
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.timeouts().connect().toMillis()))
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(BackendByteCounter.NAME, backend.byteCounter());
                            if (config.upstreamTls().isPresent()) {
                                ch.pipeline().addLast(TLS, ctx.tls().newHandler(config.upstreamTls().get(), backend, ch.alloc()));
                            }
                            ch.pipeline().addLast(CODEC, new HttpClientCodec());
                            ch.pipeline().addLast(HANDLER, new ReplayResponseHandler());
                        }
                    })
                    .connect(backend.socketAddress());
            backend.connections().add(f.channel());
            f.addListener(connected -> {
                if (done) {
                    f.channel().close();
                } else if (connected.isSuccess()) {
                    send(f.channel(), false);
                } else {
                    failLocally("connect to " + backend.address() + " failed: " + ReplayResponseHandler.describe(connected.cause()));
                }
            });
        }

        void send(Channel ch, boolean reused) {
            this.channel = ch;
            this.reused = reused;
            FullHttpRequest request;
            try {
                request = ReplayRequest.build(p.record, backend.address());
            } catch (IllegalArgumentException e) {
                end(false);
                keepIdle(backend, ch);
                retryLater(p, "the record is no valid HTTP request: " + e.getMessage(), null);
                return;
            }
            ch.pipeline().get(ReplayResponseHandler.class).lease(this);
            sentNanos = System.nanoTime();
            long timeoutNanos = ctx.settings().requestTimeout().orElse(config.timeouts().request()).toNanos();
            timeout = loop.schedule(this::timedOut, timeoutNanos, TimeUnit.NANOSECONDS);
            ch.writeAndFlush(request).addListener(w -> {
                if (!w.isSuccess()) {
                    onFailure("sending to " + backend.address() + " failed: " + ReplayResponseHandler.describe(w.cause()), false);
                }
            });
        }

        @Override
        public void onResponse(int status, boolean keepAlive) {
            if (done) {
                return;
            }
            long now = System.nanoTime();
            backend.recordLatencyNanos(now - sentNanos, now);
            backend.stats().recordResponseTime(now - sentNanos);
            backend.stats().onResponse(status);
            ctx.health().onResponse(backend, status);
            boolean ok = Outcome.applied(p.record.method(), status);
            if (!ok) {
                backend.stats().onFailure();
            }
            Channel ch = channel;
            end(false);
            if (keepAlive) {
                keepIdle(backend, ch);
            } else {
                ch.close();
            }
            if (ok) {
                applied(p, status);
            } else {
                retryLater(p, "HTTP " + status + " from " + backend.name() + " (" + backend.address() + ")", backend);
            }
        }

        @Override
        public void onFailure(String why, boolean responseStarted) {
            if (done) {
                return;
            }
            if (reused && !responseStarted) {
                // an idle connection the backend had closed: not the backend's failure, try a fresh one at once
                stopTimer();
                channel.close();
                channel = null;
                reused = false;
                connect();
                return;
            }
            failLocally(why + " (" + backend.name() + ", " + backend.address() + ")");
        }

        private void timedOut() {
            if (!done) {
                long now = System.nanoTime();
                backend.recordLatencyNanos(now - sentNanos, now);
                failLocally("no response from " + backend.name() + " (" + backend.address() + ") within "
                        + TimeUnit.NANOSECONDS.toMillis(now - sentNanos) + " ms");
            }
        }

        /** A failure seen here (connect, reset, timeout) rather than answered: counts against the backend's health. */
        private void failLocally(String why) {
            end(true);
            backend.stats().onFailure();
            ctx.health().onLocalFailure(backend);
            retryLater(p, why, backend);
        }

        /** The applier closes: the try ends unfinished. */
        void abandon() {
            end(true);
        }

        /**
         * Ends this try: no more callbacks count, the timer stops, the backend is no longer in flight;
         * {@code close} closes the channel (else the caller keeps or closes it).
         */
        private void end(boolean close) {
            done = true;
            stopTimer();
            if (close && channel != null) {
                channel.close();
            }
            channel = null;
            if (inProgress == this) {
                inProgress = null;
            }
            backend.onEnd();
        }

        private void stopTimer() {
            if (timeout != null) {
                timeout.cancel(false);
                timeout = null;
            }
        }
    }
}
