package io.pharos.proxy.continuity.ship;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.pharos.health.admin.AdminAggregator;
import io.pharos.health.admin.AdminGate;
import io.pharos.proxy.continuity.journal.Journal;
import io.pharos.proxy.continuity.journal.JournalFullException;
import io.pharos.proxy.continuity.journal.JournalRecord;
import io.pharos.proxy.continuity.ship.ReceiverStatus.Refusal;
import io.pharos.proxy.tls.Alpn;
import io.pharos.proxy.tls.ListenerTls;
import io.pharos.proxy.tls.TlsException;
import io.pharos.proxy.transport.Transport;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The receiving end of shipping: an HTTP/1.1 server on {@code continuity.listen} (TLS optional, bearer
 * token or mTLS) that takes batches of a peer region's journal records ({@link ShipProtocol}) and appends
 * them to that origin's inbound journal ({@link InboundJournals}), keeping the origin's sequences.
 * Records already held are skipped as duplicates and acknowledged; the rest must continue the journal (409
 * with the sequence expected otherwise). A batch is answered once every record in it is durable.
 *
 * <p>Threads: the server runs on its own one-thread event loop group ({@code pharos-continuity-recv}),
 * apart from the data plane: shipping traffic neither waits behind nor delays client requests. Batches of
 * one origin are handled one after the other (a lane per origin), so the duplicate check reads a journal
 * with nothing in flight. Appends never block; their futures complete on the journal's writer thread and
 * the answer hops back to the connection's loop. A new origin's journal is opened on the
 * {@link InboundJournals} opener thread, never on the loop. {@link #start} and {@link #close} block:
 * control thread. {@link #status} from any thread.
 */
public final class ContinuityReceiver implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ContinuityReceiver.class.getName());

    private final ReceiverSettings settings;
    private final InboundJournals journals;
    private final AdminGate gate;
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();
    private final ChannelGroup connections = new DefaultChannelGroup("continuity-receiver", GlobalEventExecutor.INSTANCE);
    final LongAdder batches = new LongAdder();
    final LongAdder records = new LongAdder();
    final LongAdder duplicates = new LongAdder();
    private final Map<Refusal, LongAdder> refusals = new EnumMap<>(Refusal.class);
    /** The last refusal or failure; written by any thread that refuses. */
    private volatile String lastError;
    /** When {@link #lastError} happened, epoch millis. */
    private volatile long lastErrorMillis;
    /** Set by {@link #start} (control thread). */
    private volatile EventLoopGroup group;
    /** Set by {@link #start} (control thread). */
    private volatile Channel server;

    public ContinuityReceiver(ReceiverSettings settings, InboundJournals journals) {
        this.settings = settings;
        this.journals = journals;
        this.gate = AdminGate.of(settings.token());
        for (Refusal r : Refusal.values()) {
            refusals.put(r, new LongAdder());
        }
    }

    /**
     * Loads the TLS certificates (if any) and binds the listen address; returns once bound. Blocks: control
     * thread.
     *
     * @throws TlsException          when a certificate, key or client CA cannot be loaded
     * @throws IllegalStateException when the address cannot be bound
     */
    public void start() throws TlsException, InterruptedException {
        if (server != null) {
            throw new IllegalStateException("already started");
        }
        ListenerTls tls = settings.tls().isPresent() ? ListenerTls.create("continuity", settings.tls().get(), Alpn.NONE) : null;
        Transport transport = Transport.best();
        EventLoopGroup g = transport.newGroup(1, "pharos-continuity-recv");
        ReceiverHandler handler = new ReceiverHandler(this);
        try {
            server = transport.bindServer(g, settings.listen().resolve(), p -> {
                connections.add(p.channel());
                if (tls != null) {
                    p.addLast("tls", tls.newSniHandler());
                }
                p.addLast("codec", new HttpServerCodec())
                        .addLast("aggregator", new AdminAggregator(settings.maxBatchBytes(), () -> refused(Refusal.TOO_LARGE,
                                "a batch over " + settings.maxBatchBytes() + " bytes from " + p.channel().remoteAddress())))
                        .addLast("handler", handler);
            });
        } catch (InterruptedException e) {
            g.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        } catch (Exception e) {
            g.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IllegalStateException("continuity: cannot bind " + settings.listen() + ": " + e.getMessage(), e);
        }
        group = g;
        LOG.info("continuity receiver on " + (tls == null ? "http" : "https") + "://" + settings.listen().host() + ":" + port()
                + " (region " + settings.ownRegion() + (settings.token().isPresent() ? ", bearer token" : "")
                + (settings.tls().flatMap(t -> t.clientCa()).isPresent() ? ", client certificates" : "") + ")");
    }

    /** The bound port (the real one when {@code listen} asked for port 0); 0 before {@link #start}. */
    public int port() {
        Channel s = server;
        return s == null ? 0 : ((InetSocketAddress) s.localAddress()).getPort();
    }

    public ReceiverStatus status() {
        Map<Refusal, Long> r = new EnumMap<>(Refusal.class);
        refusals.forEach((k, v) -> r.put(k, v.sum()));
        return new ReceiverStatus(port(), batches.sum(), records.sum(), duplicates.sum(), Map.copyOf(r), lastError,
                lastErrorMillis);
    }

    /** Stops accepting, closes every connection and the loop. Blocks up to a few seconds: control thread. */
    @Override
    public void close() {
        Channel s = server;
        EventLoopGroup g = group;
        if (s != null) {
            s.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        if (g != null) {
            g.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    String ownRegion() {
        return settings.ownRegion();
    }

    AdminGate gate() {
        return gate;
    }

    InboundJournals journals() {
        return journals;
    }

    /** Remembers a failed connection as the last error (no refusal: no request was answered). Event loop. */
    void connectionFailed(String message) {
        LOG.fine(() -> "continuity receiver: connection " + message);
        lastError = "connection " + message;
        lastErrorMillis = System.currentTimeMillis();
    }

    /** Counts a refusal and remembers it as the last error. Any thread. */
    void refused(Refusal reason, String message) {
        refusals.get(reason).increment();
        lastError = reason.status() + " " + message;
        lastErrorMillis = System.currentTimeMillis();
    }

    /**
     * Appends a decoded batch of {@code origin} (contiguous, all of that origin) in that origin's lane: after
     * the batches before it, in the journal opened off the loop; continues on {@code loop}. The future
     * completes (on the writer or opener thread) with the answer once every appended record is durable.
     */
    CompletableFuture<Reply> receive(String origin, List<JournalRecord> batch, Executor loop) {
        Lane lane = lanes.computeIfAbsent(origin, o -> new Lane());
        return lane.enqueue(() -> journals.openAsync(origin).handleAsync((j, e) -> e == null ? append(origin, j, batch)
                : CompletableFuture.completedFuture(refusal(origin, null, new IllegalStateException(
                        "cannot open its inbound journal: " + unwrap(e).getMessage(), unwrap(e)))), loop)
                .thenCompose(f -> f));
    }

    /** Skips what {@code journal} holds, appends the rest; on the lane's turn, on the loop. */
    private CompletableFuture<Reply> append(String origin, Journal journal, List<JournalRecord> batch) {
        long last = journal.lastSequence();
        int skip = 0;
        while (skip < batch.size() && batch.get(skip).sequence() <= last) {
            skip++;
        }
        duplicates.add(skip);
        if (skip == batch.size()) {
            batches.increment();
            return CompletableFuture.completedFuture(ack(origin, journal));
        }
        List<CompletableFuture<Long>> appends = new ArrayList<>(batch.size() - skip);
        for (int i = skip; i < batch.size(); i++) {
            CompletableFuture<Long> f = journal.appendReplica(batch.get(i));
            appends.add(f);
            if (f.isCompletedExceptionally()) {
                break;
            }
        }
        int appended = appends.size();
        return CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new)).handle((v, e) -> {
            if (e == null) {
                batches.increment();
                records.add(appended);
                return ack(origin, journal);
            }
            return refusal(origin, journal, unwrap(e));
        });
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException c && c.getCause() != null ? c.getCause() : e;
    }

    private static Reply ack(String origin, Journal journal) {
        return Reply.ok(ShipProtocol.ackJson(origin, journal.durableSequence(), journal.confirmedSequence()));
    }

    /** The answer to a batch whose appends failed: a gap, a full journal, or a failed one. */
    Reply refusal(String origin, Journal journal, Throwable cause) {
        if (cause instanceof IllegalArgumentException) {
            long expected = journal == null ? 1 : journal.lastSequence() + 1;
            refused(Refusal.GAP, origin + ": " + cause.getMessage());
            return new Reply(Refusal.GAP, ShipProtocol.gapJson(expected));
        }
        if (cause instanceof JournalFullException) {
            refused(Refusal.FULL, origin + ": " + cause.getMessage());
            return Reply.refused(Refusal.FULL, "inbound journal of " + origin + " is full: " + cause.getMessage());
        }
        refused(Refusal.FAILED, origin + ": " + cause);
        return Reply.refused(Refusal.FAILED, "inbound journal of " + origin + ": " + cause.getMessage());
    }

    /** What the status endpoint tells about {@code origin}; nothing is opened for it. */
    String statusOf(String origin) {
        Journal j = journals.get(origin).orElse(null);
        return ShipProtocol.statusJson(j == null ? 0 : j.durableSequence(), j == null ? 0 : j.confirmedSequence());
    }

    /**
     * One origin's batches, one at a time: each starts once the previous one was answered (whatever the
     * answer), so a retried batch never races the one it repeats. Thread-safe.
     */
    private static final class Lane {
        /** The answer of the latest batch; replaced under the lane's lock. */
        private CompletableFuture<Reply> tail = CompletableFuture.completedFuture(null);

        synchronized CompletableFuture<Reply> enqueue(Supplier<CompletableFuture<Reply>> next) {
            CompletableFuture<Reply> f = tail.handle((r, e) -> null).thenCompose(v -> next.get());
            tail = f;
            return f;
        }
    }

    /** An answer: its refusal reason ({@code null} for 200) and JSON body. */
    record Reply(Refusal refusal, String json) {
        static Reply ok(String json) {
            return new Reply(null, json);
        }

        static Reply refused(Refusal reason, String message) {
            return new Reply(reason, ShipProtocol.errorJson(message));
        }
    }
}
