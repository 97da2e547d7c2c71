package io.pharos.proxy.continuity.apply;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.continuity.journal.Journal;
import io.pharos.proxy.continuity.journal.JournalCursor;
import io.pharos.proxy.continuity.journal.JournalRecord;
import io.pharos.proxy.health.ProxyHealth;
import io.pharos.proxy.tls.UpstreamTls;
import io.pharos.proxy.transport.Transport;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Replays the writes of one peer (origin) region, as its proxy shipped them into this node's inbound
 * journal, to this region's backends: each record goes as an HTTP/1.1 request to a backend of the local
 * cluster of the record's {@code cluster} name, chosen through that cluster's current snapshot and load
 * balancer like any request, with the record's {@code Idempotency-Key} and {@code Pharos-Replay:
 * origin/epoch/sequence}. A 2xx or 422 answer (or 404/410 to a DELETE) applies the record ({@link Outcome}); anything else is tried again with
 * a backoff, forever, and shows in {@link #status()}. Records of one partition key are applied in sequence
 * order (one lane per key hash, one record at a time per lane); lanes run in parallel. The applied
 * watermark, every record up to it applied, is confirmed into the inbound journal (persisted; retention
 * then drops those records) at most every {@value #CONFIRM_PERIOD_MILLIS} ms and on close; after a restart
 * the records above it are applied again, which the application's Idempotency-Key handling makes harmless.
 *
 * <p>Threads: one reader thread {@code pharos-continuity-apply-ORIGIN} reads the journal and confirms (both
 * block on the disk) and hands records to the lanes; the HTTP I/O runs on the given event loops (each lane
 * pinned to one), because the client TLS ({@link UpstreamTls}) hands out Netty handlers and the backends'
 * in-flight counts and passive health are recorded loop-side like the proxy's own requests, so no loop ever
 * blocks. {@link #start()}, {@link #close()} on a control thread; {@link #status()} on any thread.
 */
public final class Applier implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Applier.class.getName());
    /** The header that marks a request as a replay of {@code origin/epoch/sequence}: never journaled again. */
    public static final String REPLAY_HEADER = "Pharos-Replay";
    public static final String IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
    static final long CONFIRM_PERIOD_MILLIS = 50;
    /** How long the reader waits for a record or for room before it looks at the watermark and the close flag. */
    private static final Duration POLL = Duration.ofMillis(CONFIRM_PERIOD_MILLIS);
    private static final long POLL_NANOS = POLL.toNanos();
    private static final long CLOSE_TIMEOUT_MILLIS = 5000;

    private final String origin;
    private final Journal inbound;
    private final ApplierSettings settings;
    private final ApplyWindow window;
    private final LaneContext context;
    private final Lane[] lanes;
    private final Thread reader;
    /** Counted down by {@link #close()}: the reader stops (and stops pausing after an error). */
    private final CountDownLatch closing = new CountDownLatch(1);
    /** The last failure reading or confirming the journal, null once reading works again; written by the reader thread. */
    private volatile String readerError;
    /** The last watermark confirmed into the journal; reader thread only. */
    private long confirmed;

    /**
     * @param origin   the region whose records {@code inbound} holds
     * @param inbound  the journal the receiver fills with that region's records; its confirmed watermark is
     *                 this applier's applied watermark
     * @param clusters the local cluster of a name, or null when there is none (asked again on every try, so
     *                 reloads count)
     * @param health   where tries report backend outcomes (passive health), as the proxy's requests do
     * @param tls      client TLS of clusters with {@code upstream-tls}, the proxy's own; null when no cluster has it
     * @param loops    the event loops the lanes run on (the proxy's), of {@code transport}
     */
    public Applier(String origin, Journal inbound, ApplierSettings settings, Function<String, Cluster> clusters,
                   ProxyHealth health, UpstreamTls tls, EventLoopGroup loops, Transport transport) {
        this.origin = Objects.requireNonNull(origin, "origin");
        this.inbound = Objects.requireNonNull(inbound, "inbound");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.window = new ApplyWindow(settings.maxInFlight(), inbound.confirmedSequence());
        this.confirmed = inbound.confirmedSequence();
        this.context = new LaneContext(Objects.requireNonNull(clusters, "clusters"), Objects.requireNonNull(health, "health"),
                tls, transport.socketChannel(), settings, window, new LongAdder(), new LongAdder(), new LongAdder());
        this.lanes = new Lane[settings.lanes()];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = new Lane((EventLoop) loops.next(), context);
        }
        this.reader = new Thread(this::readLoop, "pharos-continuity-apply-" + origin);
        this.reader.setDaemon(true);
    }

    public String origin() {
        return origin;
    }

    /** Starts reading from the applied watermark. Once. */
    public void start() {
        reader.start();
    }

    /**
     * Stops applying: tries in progress are abandoned (applied again after a restart), connections close,
     * the applied watermark is confirmed. Blocks for at most a few seconds (a reader stuck on the disk is
     * left behind, logged).
     */
    @Override
    public void close() {
        closing.countDown();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_TIMEOUT_MILLIS);
        Future<?>[] closed = new Future<?>[lanes.length];
        for (int i = 0; i < lanes.length; i++) {
            closed[i] = lanes[i].closeCrossThread();
        }
        for (Future<?> f : closed) {
            f.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        if (reader.isAlive()) {
            try {
                reader.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (reader.isAlive()) {
                LOG.warning("continuity applier " + origin + ": the reader did not stop within " + CLOSE_TIMEOUT_MILLIS + " ms");
            }
        }
    }

    /** What has been applied and what is pending or stuck. Any thread; walks the pending records. */
    public ApplierStatus status() {
        long applied = Math.max(window.watermark(), inbound.confirmedSequence());
        long received = inbound.durableSequence();
        PendingRecord oldest = window.oldest();
        PendingRecord failing = window.oldestFailing();
        Optional<ApplierStatus.Stuck> stuck = Optional.ofNullable(failing).map(p -> new ApplierStatus.Stuck(
                p.sequence(), p.record.cluster(), p.record.partitionKey(), p.attempts(), p.lastError()));
        double lagSeconds = oldest == null ? 0 : Math.max(0, System.currentTimeMillis() - oldest.record.appendTimeMillis()) / 1000.0;
        return new ApplierStatus(origin, applied, received, window.pendingCount(), context.applied().sum(),
                context.retries().sum(), context.alreadyApplied().sum(), stuck, Math.max(0, received - applied),
                lagSeconds, Optional.ofNullable(readerError));
    }

    private void readLoop() {
        JournalCursor cursor = null;
        long lastConfirmNanos = System.nanoTime();
        try {
            while (closing.getCount() > 0) {
                try {
                    if (System.nanoTime() - lastConfirmNanos >= POLL_NANOS) {
                        lastConfirmNanos = System.nanoTime();
                        confirmApplied();
                    }
                    if (cursor == null) {
                        cursor = inbound.openCursor(window.lastRead());
                    }
                    if (!window.takeRoom(POLL_NANOS)) {
                        continue;
                    }
                    JournalRecord r = cursor.next(POLL);
                    if (r == null) {
                        window.giveBackRoom();
                        continue;
                    }
                    PendingRecord p = new PendingRecord(r);
                    window.add(p);
                    lanes[laneOf(r.partitionKey(), lanes.length)].offerCrossThread(p);
                    readerError = null;
                } catch (IOException | RuntimeException e) {
                    readerError = "reading journal of " + origin + ": " + ReplayResponseHandler.describe(e);
                    LOG.log(Level.WARNING, "continuity applier " + origin + ": " + readerError, e);
                    closeQuietly(cursor);
                    cursor = null;
                    closing.await(settings.backoffMax().toMillis(), TimeUnit.MILLISECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(cursor);
            confirmApplied();
        }
    }

    /** Reader thread: persists the applied watermark when it moved. A failure is shown and tried again next time. */
    private void confirmApplied() {
        long w = window.watermark();
        if (w <= confirmed) {
            return;
        }
        try {
            inbound.confirm(w);
            confirmed = w;
        } catch (IOException | RuntimeException e) {
            readerError = "confirming " + w + " in the journal of " + origin + ": " + ReplayResponseHandler.describe(e);
            LOG.log(Level.WARNING, "continuity applier " + origin + ": " + readerError, e);
        }
    }

    /** The lane of a partition key: every record of one key goes to the same lane. */
    static int laneOf(String partitionKey, int lanes) {
        int h = partitionKey.hashCode() * 0x9E3779B9;
        return Math.floorMod(h ^ (h >>> 16), lanes);
    }

    private void closeQuietly(JournalCursor cursor) {
        if (cursor != null) {
            try {
                cursor.close();
            } catch (IOException e) {
                LOG.log(Level.FINE, "closing a journal cursor", e);
            }
        }
    }
}
