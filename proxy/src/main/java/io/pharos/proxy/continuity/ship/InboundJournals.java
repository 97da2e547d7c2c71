package io.pharos.proxy.continuity.ship;

import io.pharos.proxy.continuity.journal.Journal;
import io.pharos.proxy.continuity.journal.JournalSettings;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The inbound journals of a receiving proxy: one {@link Journal} per origin region, in
 * {@code <journal dir>/inbound/<origin>/}, holding that origin's records under the origin's sequences
 * ({@link Journal#appendReplica}). The applier of an origin reads its journal from
 * {@code confirmedSequence()} and marks what it applied with {@code confirm(seq)} (the APPLIED
 * watermark: retention then drops applied records, and the cap counts unapplied bytes).
 *
 * <p>{@link #open} opens the directories already there and calls the listener for each; a batch from a
 * new origin opens its journal through {@link #openAsync}, on this object's own opener thread
 * ({@code pharos-continuity-inbound}), which also calls the listener. {@link #get} and {@link #openAsync}
 * never block and may be called from event loops. {@link #close} closes every journal: call it after
 * the receiver and the appliers stopped.
 */
public final class InboundJournals implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(InboundJournals.class.getName());

    /** Told of every inbound journal once it is open, so an applier can start on it. */
    @FunctionalInterface
    public interface Listener {
        /** Called once per origin, on the thread that opened the journal; must not block for long. */
        void onOpen(String origin, Journal inbound);
    }

    private final Path dir;
    private final JournalSettings settings;
    private final Listener listener;
    private final Map<String, Journal> journals = new ConcurrentHashMap<>();
    /** Opens under way by origin; guarded by {@code this}. */
    private final Map<String, CompletableFuture<Journal>> opening = new HashMap<>();
    private final ExecutorService opener = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "pharos-continuity-inbound");
        t.setDaemon(true);
        return t;
    });
    /** Set once by {@link #close}. */
    private volatile boolean closed;

    private InboundJournals(Path dir, JournalSettings settings, Listener listener) {
        this.dir = dir;
        this.settings = settings;
        this.listener = listener;
    }

    /**
     * Opens (recovering) every origin directory under {@code journalDir/inbound} and tells
     * {@code listener} of each; other entries are ignored. Blocks on the disk.
     */
    public static InboundJournals open(Path journalDir, JournalSettings settings, Listener listener) throws IOException {
        InboundJournals j = new InboundJournals(journalDir.resolve("inbound"), settings, listener);
        Files.createDirectories(j.dir);
        try (DirectoryStream<Path> s = Files.newDirectoryStream(j.dir, Files::isDirectory)) {
            for (Path p : s) {
                String origin = p.getFileName().toString();
                if (ShipProtocol.isValidOrigin(origin)) {
                    try {
                        j.openNow(origin);
                    } catch (IOException | RuntimeException e) {
                        j.close();
                        throw e;
                    }
                }
            }
        }
        return j;
    }

    /** The directory of {@code origin}'s inbound journal. */
    public Path dirOf(String origin) {
        return dir.resolve(checkOrigin(origin));
    }

    /** The open journal of {@code origin}, if any. Never blocks. */
    public Optional<Journal> get(String origin) {
        return Optional.ofNullable(journals.get(origin));
    }

    /** Every open inbound journal by origin (a snapshot). */
    public Map<String, Journal> all() {
        return Map.copyOf(journals);
    }

    /**
     * The journal of {@code origin}, opened (created) on the opener thread when it is not open yet; the
     * future completes there, or at once when it is open. Fails when the origin name is not path-safe, the
     * journal cannot be opened (a later call tries again) or this is closed. Never blocks.
     */
    public CompletableFuture<Journal> openAsync(String origin) {
        Journal j = journals.get(origin);
        if (j != null) {
            return CompletableFuture.completedFuture(j);
        }
        if (!ShipProtocol.isValidOrigin(origin)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("origin: '" + origin + "' (expected: "
                    + "1-64 of A-Z a-z 0-9 . _ -, starting alphanumeric)"));
        }
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("inbound journals are closed"));
            }
            CompletableFuture<Journal> pending = opening.get(origin);
            if (pending != null) {
                return pending;
            }
            CompletableFuture<Journal> f = new CompletableFuture<>();
            opening.put(origin, f);
            opener.execute(() -> {
                try {
                    f.complete(openNow(origin));
                } catch (IOException | RuntimeException e) {
                    f.completeExceptionally(e);
                } finally {
                    synchronized (this) {
                        opening.remove(origin, f);
                    }
                }
            });
            return f;
        }
    }

    /** Opens {@code origin}'s journal if it is not open, then tells the listener. Blocks on the disk. */
    private Journal openNow(String origin) throws IOException {
        Journal open = journals.get(origin);
        if (open != null) {
            return open;
        }
        Journal j = Journal.openFile(dirOf(origin), settings);
        synchronized (this) {
            if (closed) {
                j.close();
                throw new IllegalStateException("inbound journals are closed");
            }
            journals.put(origin, j);
        }
        LOG.info("inbound journal of " + origin + " open at " + dirOf(origin) + " (sequence " + j.lastSequence()
                + ", applied " + j.confirmedSequence() + ")");
        try {
            listener.onOpen(origin, j);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "inbound journal listener failed for " + origin, e);
        }
        return j;
    }

    private static String checkOrigin(String origin) {
        if (!ShipProtocol.isValidOrigin(origin)) {
            throw new IllegalArgumentException("origin: '" + origin + "' (expected: 1-64 of A-Z a-z 0-9 . _ -, starting alphanumeric)");
        }
        return origin;
    }

    /** Stops opening journals and closes every open one (writing what they have queued). Blocks. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        opener.shutdown();
        try {
            if (!opener.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warning("inbound journals: an open still runs after 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Journal j : journals.values()) {
            j.close();
        }
        journals.clear();
    }
}
