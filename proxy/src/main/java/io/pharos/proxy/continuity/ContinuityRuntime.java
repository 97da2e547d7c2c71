package io.pharos.proxy.continuity;

import io.netty.channel.EventLoopGroup;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.PharosConfig.ContinuityConfig;
import io.pharos.proxy.config.PharosConfig.JournalConfig;
import io.pharos.proxy.config.PharosConfig.PeerConfig;
import io.pharos.proxy.continuity.apply.Applier;
import io.pharos.proxy.continuity.apply.ApplierSettings;
import io.pharos.proxy.continuity.journal.Journal;
import io.pharos.proxy.continuity.journal.JournalSettings;
import io.pharos.proxy.continuity.ship.ContinuityReceiver;
import io.pharos.proxy.continuity.ship.InboundJournals;
import io.pharos.proxy.continuity.ship.PeerShipper;
import io.pharos.proxy.continuity.ship.ReceiverSettings;
import io.pharos.proxy.continuity.ship.ShipperSettings;
import io.pharos.proxy.health.ProxyHealth;
import io.pharos.proxy.tls.UpstreamTls;
import io.pharos.proxy.transport.Transport;

import io.pharos.proxy.tls.TlsException;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Data continuity running in this proxy (docs/continuity.md): the journal of the writes this region
 * acknowledged and the {@link PeerShipper} that ships it to the peer region; the {@link ContinuityReceiver}
 * where the peer delivers its own journal into {@link InboundJournals}, and one {@link Applier} per origin
 * that replays those records to this region's clusters; the {@link ReplicatedWrites} the listeners'
 * {@link ContinuityObserver} hands writes to; and a status thread that publishes a {@link ContinuityStatus}
 * every {@value #STATUS_MILLIS} ms for the admin API, the metrics and the async lag brake.
 *
 * <p>Threads: built, reconfigured and closed on the control thread (they block on the disk and on
 * binding); {@link #status()} and the {@link PeerLink} methods may be called from anywhere.
 */
public final class ContinuityRuntime implements PeerLink, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ContinuityRuntime.class.getName());
    static final long STATUS_MILLIS = 250;
    /** Placeholder epoch until the GTM epoch fences writes (issue 14). */
    static final long EPOCH = 0;

    private final Journal journal;
    private final ContinuityCounters counters = new ContinuityCounters();
    private final ReplicatedWrites writes;
    private final Function<String, Cluster> clusters;
    private final ProxyHealth health;
    private final UpstreamTls upstreamTls;
    private final EventLoopGroup loops;
    private final Transport transport;
    private final ScheduledExecutorService statusThread;
    private final Map<String, Applier> appliers = new ConcurrentHashMap<>();

    // --- swapped by reconfigure() on the control thread, read anywhere
    private volatile ContinuityConfig config;
    /** Null without {@code peer}. */
    private volatile PeerShipper shipper;
    /** Null without {@code listen}. */
    private volatile ContinuityReceiver receiver;
    private volatile InboundJournals inbound;
    private volatile ContinuityStatus status;
    /** Age in ms of the oldest record the peer has not confirmed, -1 when none; for the max-lag brake. */
    private volatile long lagMillis = -1;

    private ContinuityRuntime(ContinuityConfig config, Journal journal, Function<String, Cluster> clusters, ProxyHealth health,
                              UpstreamTls upstreamTls, EventLoopGroup loops, Transport transport) {
        this.config = config;
        this.journal = journal;
        this.clusters = clusters;
        this.health = health;
        this.upstreamTls = upstreamTls;
        this.loops = loops;
        this.transport = transport;
        this.writes = new ReplicatedWrites(config.region(), EPOCH, journal, this, counters, () -> lagMillis);
        this.statusThread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pharos-continuity-status");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Opens the journal (recovering it), starts the shipper, the receiver and the appliers of the inbound
     * journals already on disk. Control thread: blocks on the disk and on binding {@code listen}.
     *
     * @param clusters the running cluster of a name, or null (asked on every replay, so reloads count)
     */
    public static ContinuityRuntime start(ContinuityConfig config, Function<String, Cluster> clusters, ProxyHealth health,
                                          UpstreamTls upstreamTls, EventLoopGroup loops, Transport transport) throws IOException {
        Journal journal = Journal.openFile(outboundDir(config.journal()), journalSettings(config.journal()));
        ContinuityRuntime rt = new ContinuityRuntime(config, journal, clusters, health, upstreamTls, loops, transport);
        try {
            rt.startParts(config);
        } catch (IOException | RuntimeException e) {
            rt.close();
            throw e;
        }
        rt.publishStatus();
        rt.statusThread.scheduleWithFixedDelay(rt::publishStatus, STATUS_MILLIS, STATUS_MILLIS, TimeUnit.MILLISECONDS);
        return rt;
    }

    /** This region's own journal: {@code journal.dir/outbound}. */
    static Path outboundDir(JournalConfig j) {
        return j.dir().resolve("outbound");
    }

    static JournalSettings journalSettings(JournalConfig j) {
        return new JournalSettings(j.segmentSize(), j.maxBytes(), j.maxAge(), j.queueCapacity());
    }

    private void startParts(ContinuityConfig c) throws IOException {
        inbound = InboundJournals.open(c.journal().dir(), journalSettings(c.journal()), this::startApplier);
        if (c.listen().isPresent()) {
            receiver = startReceiver(c);
        }
        if (c.peer().isPresent()) {
            shipper = startShipper(c);
        }
    }

    private ContinuityReceiver startReceiver(ContinuityConfig c) throws IOException {
        ContinuityReceiver r = new ContinuityReceiver(receiverSettings(c), inbound);
        try {
            r.start();
        } catch (TlsException e) {
            throw new IOException("pharos.continuity.tls: " + String.join("; ", e.problems()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding " + c.listen().orElseThrow(), e);
        }
        return r;
    }

    private PeerShipper startShipper(ContinuityConfig c) throws IOException {
        PeerShipper s;
        try {
            s = new PeerShipper(c.region(), journal, shipperSettings(c.peer().orElseThrow()));
        } catch (GeneralSecurityException e) {
            throw new IOException("pharos.continuity.peer: " + e.getMessage(), e);
        }
        s.start();
        return s;
    }

    private void startApplier(String origin, Journal journal) {
        ContinuityConfig c = config;
        Applier a = new Applier(origin, journal, new ApplierSettings(c.apply().lanes(), c.apply().maxInFlight(),
                c.apply().backoffMin(), c.apply().backoffMax(), Optional.empty()), clusters, health, upstreamTls, loops, transport);
        Applier old = appliers.put(origin, a);
        if (old != null) {
            old.close();
        }
        a.start();
    }

    private static ReceiverSettings receiverSettings(ContinuityConfig c) {
        return new ReceiverSettings(c.listen().orElseThrow(), c.token(), c.tls(), c.region(), ReceiverSettings.DEFAULT_MAX_BATCH_BYTES);
    }

    private static ShipperSettings shipperSettings(PeerConfig p) {
        return new ShipperSettings(p.url(), p.token(), p.caFile(), p.serverName(), p.insecureSkipVerify(), p.certificate(), p.key(),
                p.batchRecords(), p.batchBytes(), p.backoffMin(), p.backoffMax(), p.requestTimeout());
    }

    /** From journaling a sync write to the peer's acknowledgement. */
    io.pharos.proxy.metrics.LatencyHistogram syncWait() {
        return counters.syncWait;
    }

    /** Where the listeners' observer sends replicated writes. */
    ReplicatedWrites writes() {
        return writes;
    }

    /**
     * What a reload may not change while the proxy runs: the region (it is stamped on every record) and
     * the journal (its records are not moved). Empty when {@code next} can be applied.
     */
    public List<String> check(ContinuityConfig next) {
        List<String> errors = new ArrayList<>();
        ContinuityConfig c = config;
        if (!c.region().equals(next.region())) {
            errors.add("pharos.continuity.region: changed from " + c.region() + " to " + next.region()
                    + "; a running proxy keeps its region (records carry it): restart the proxy to rename it");
        }
        if (!c.journal().equals(next.journal())) {
            errors.add("pharos.continuity.journal: changed; a running proxy keeps its journal (" + c.journal().dir()
                    + "): restart the proxy to move or resize it");
        }
        return errors;
    }

    /**
     * Applies a reload that {@link #check} accepted: a changed peer gets a new shipper (it resumes from the
     * confirmed watermark), a changed listener a new receiver, changed apply settings new appliers (they
     * resume from the applied watermark). Control thread; blocks while binding and stopping threads.
     */
    public List<String> reconfigure(ContinuityConfig next) {
        ContinuityConfig old = config;
        config = next;
        List<String> notes = new ArrayList<>();
        if (!Objects.equals(old.peer(), next.peer())) {
            PeerShipper s = shipper;
            shipper = null;
            if (s != null) {
                s.close();
            }
            if (next.peer().isPresent()) {
                try {
                    shipper = startShipper(next);
                } catch (IOException | RuntimeException e) {
                    counters.lastError = "continuity peer " + next.peer().get().url() + ": " + e.getMessage();
                    LOG.log(Level.SEVERE, counters.lastError, e);
                }
            }
            notes.add("continuity peer: " + next.peer().map(p -> p.url().toString()).orElse("none"));
        }
        if (!old.listen().equals(next.listen()) || !old.token().equals(next.token()) || !old.tls().equals(next.tls())) {
            ContinuityReceiver r = receiver;
            receiver = null;
            if (r != null) {
                r.close();
            }
            if (next.listen().isPresent()) {
                try {
                    receiver = startReceiver(next);
                } catch (IOException | RuntimeException e) {
                    counters.lastError = "continuity listen " + next.listen().get() + ": " + e.getMessage();
                    LOG.log(Level.SEVERE, counters.lastError, e);
                }
            }
            notes.add("continuity listener: " + next.listen().map(Object::toString).orElse("none"));
        }
        if (!old.apply().equals(next.apply())) {
            for (Map.Entry<String, Journal> e : inbound.all().entrySet()) {
                startApplier(e.getKey(), e.getValue());
            }
            notes.add("continuity appliers restarted");
        }
        return notes;
    }

    @Override
    public CompletableFuture<Void> awaitConfirmed(long sequence) {
        PeerShipper s = shipper;
        return s == null ? CompletableFuture.failedFuture(new IllegalStateException("no peer is configured")) : s.awaitConfirmed(sequence);
    }

    @Override
    public boolean peerAvailable() {
        PeerShipper s = shipper;
        return s != null && s.peerAvailable();
    }

    /** The status published last (at most {@value #STATUS_MILLIS} ms old; the write counters are live). Any thread. */
    public ContinuityStatus status() {
        ContinuityStatus s = status;
        return s == null ? null : s.withCounters(counters);
    }

    private void publishStatus() {
        try {
            ContinuityStatus s = ContinuityStatus.collect(config, journal.stats(), shipper, receiver, appliers.values(), counters);
            lagMillis = s.lagMillis();
            status = s;
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "continuity status", e);
        }
    }

    /** Stops the shipper, the receiver and the appliers, then closes the journals. Control thread. */
    @Override
    public void close() {
        statusThread.shutdownNow();
        ContinuityReceiver r = receiver;
        if (r != null) {
            r.close();
        }
        PeerShipper s = shipper;
        if (s != null) {
            s.close();
        }
        for (Applier a : appliers.values()) {
            a.close();
        }
        if (inbound != null) {
            inbound.close();
        }
        journal.close();
    }
}
