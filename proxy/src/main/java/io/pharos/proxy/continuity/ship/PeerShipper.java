package io.pharos.proxy.continuity.ship;

import io.pharos.proxy.continuity.journal.Frames;
import io.pharos.proxy.continuity.journal.Journal;
import io.pharos.proxy.continuity.journal.JournalCursor;
import io.pharos.proxy.continuity.journal.JournalRecord;
import io.pharos.proxy.continuity.journal.RecordCodec;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Ships this region's journal to the peer region's {@link ContinuityReceiver}, in order, in batches, and
 * moves the journal's confirmed watermark as the peer acknowledges durably. One thread per peer,
 * {@code pharos-continuity-ship}, reads the local journal with a cursor and sends each batch as soon as
 * one record is ready (no linger: a sync write waits for exactly one round trip behind what is in
 * flight). It resumes from {@code max(local confirmed, peer durable)}, asking the peer's status endpoint
 * at start and after every failure; a 409 rewinds to the sequence the peer expects; failures back off
 * exponentially with jitter, bounded.
 *
 * <p>On each acknowledgement the waiters of {@link #awaitConfirmed} up to the peer's durable sequence are
 * completed first (on the shipper thread), then {@link Journal#confirm} persists the watermark, coalesced
 * to at most one disk write per 50 ms or per batch, whichever is rarer (and once more on close): after a
 * crash the watermark may lag by those 50 ms, and the shipper then sends a few records the peer skips as
 * duplicates.
 *
 * <p>Threads: the shipper thread owns the cursor, the HTTP exchange and the journal's confirm;
 * {@link #awaitConfirmed}, {@link #peerAvailable} and {@link #status} are safe from any thread (event
 * loops included); {@link #start} and {@link #close} from the control thread.
 */
public final class PeerShipper implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PeerShipper.class.getName());
    private static final long CONFIRM_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long IDLE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long CLOSE_WAIT_MILLIS = 5000;
    private static final int ERROR_BODY_CHARS = 300;

    private final String region;
    private final Journal journal;
    private final ShipperSettings settings;
    private final HttpClient client;
    private final URI recordsUri;
    private final URI statusUri;
    private final ConfirmWaiters waiters = new ConfirmWaiters();
    private final Thread thread;

    /** The cursor over the local journal, null until resumed (and after a failure). Shipper thread. */
    private JournalCursor cursor;
    /** A record read but left for the next batch (it did not fit), encoded, or null. Shipper thread. */
    private byte[] carry;
    /** The sequence of {@link #carry}. Shipper thread. */
    private long carrySequence;
    /** When the watermark was last persisted ({@link System#nanoTime}). Shipper thread (then close, once it stopped). */
    private long lastConfirmWriteNanos;

    /** Set once by {@link #close}. */
    private volatile boolean closed;
    /** False after a failed request until the next answered one; written by the shipper thread. */
    private volatile boolean available = true;
    /** Written by the shipper thread: the last sequence the peer took from us, or the resume point. */
    private volatile long sent;
    /** Written by the shipper thread: what the peer's applier had applied at its last answer. */
    private volatile long peerApplied;
    /** Written by the shipper thread. */
    private volatile long lastBatchMillis;
    private volatile long recordsShipped;
    private volatile long bytesShipped;
    private volatile long batchesShipped;
    private volatile long rewinds;
    private volatile long errors;
    private volatile String lastError;
    private volatile long lastErrorMillis;
    /** The pause after the latest failure, 0 once a batch went through or nothing is left to send. */
    private volatile long backoffMillis;

    /**
     * A shipper of {@code journal} (this region's, {@code region}) to {@code settings.peer()}; reads the TLS
     * files now. Nothing is sent before {@link #start}.
     */
    public PeerShipper(String region, Journal journal, ShipperSettings settings) throws IOException, GeneralSecurityException {
        if (!ShipProtocol.isValidOrigin(region)) {
            throw new IllegalArgumentException("region: '" + region + "' (expected: 1-64 of A-Z a-z 0-9 . _ -)");
        }
        this.region = region;
        this.journal = journal;
        this.settings = settings;
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(settings.requestTimeout());
        if (settings.peer().getScheme().equals("https")) {
            b.sslContext(ShipperTls.context(settings));
            settings.serverName().filter(n -> !n.isEmpty() && Character.isLetter(n.charAt(n.length() - 1))).ifPresent(n -> {
                SSLParameters p = new SSLParameters();
                p.setServerNames(List.of(new SNIHostName(n)));
                b.sslParameters(p);
            });
            if (settings.insecureSkipVerify()) {
                LOG.warning("continuity peer " + settings.peer() + ": insecure-skip-verify is on; its certificate is NOT verified");
            }
        }
        this.client = b.build();
        this.recordsUri = settings.peer().resolve(ShipProtocol.RECORDS_PATH);
        this.statusUri = settings.peer().resolve(ShipProtocol.STATUS_PATH + "?origin="
                + URLEncoder.encode(region, StandardCharsets.UTF_8));
        this.waiters.confirm(journal.confirmedSequence());
        this.sent = journal.confirmedSequence();
        this.thread = new Thread(this::run, "pharos-continuity-ship");
        this.thread.setDaemon(true);
    }

    /** Starts the shipper thread. Control thread. */
    public void start() {
        thread.start();
    }

    /**
     * Completes (on the shipper thread, or at once when it already holds it) once the peer holds
     * {@code sequence} durably; fails only when the shipper is closed. The caller applies its own timeout
     * with {@code orTimeout} (or cancels) on this very future: a waiter completed that way is dropped at
     * once. Callbacks must not block (they run on the shipper thread). Any thread.
     */
    public CompletableFuture<Void> awaitConfirmed(long sequence) {
        return waiters.await(sequence);
    }

    /** False after a failed request until the next answered one (sync mode fails fast on it). Any thread. */
    public boolean peerAvailable() {
        return available;
    }

    public ShipperStatus status() {
        return new ShipperStatus(settings.peer(), available, sent, waiters.confirmed(), peerApplied, lastBatchMillis,
                recordsShipped, bytesShipped, batchesShipped, rewinds, errors, lastError, lastErrorMillis, backoffMillis);
    }

    /** Waiters still referenced (tests). */
    int waiterCount() {
        return waiters.size();
    }

    /**
     * Stops the thread (interrupting a send or a wait; bounded: {@value #CLOSE_WAIT_MILLIS} ms), persists the
     * confirmed watermark once it stopped, fails the waiters and closes the HTTP client. Control thread.
     */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        if (thread.isAlive()) {
            try {
                thread.join(CLOSE_WAIT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                LOG.warning("continuity shipper to " + settings.peer() + " did not stop within " + CLOSE_WAIT_MILLIS + " ms");
            }
        }
        if (!thread.isAlive()) {
            // here, not on the stopped thread: an interrupt arriving during its last write would cut the write short
            try {
                persistConfirmed(true);
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "continuity shipper: persisting the confirmed watermark on close", e);
            }
        }
        waiters.close();
        client.shutdownNow();
    }

    private void run() {
        try {
            while (!closed) {
                try {
                    if (cursor == null) {
                        resume();
                    }
                    Batch batch = nextBatch();
                    if (batch != null) {
                        ship(batch);
                    }
                    persistConfirmed(false);
                } catch (InterruptedException e) {
                    if (closed) {
                        break;
                    }
                } catch (IOException | ShipFailure | RuntimeException e) {
                    if (closed) {
                        break;
                    }
                    failed(e);
                    dropCursor();
                    pause();
                }
            }
        } catch (InterruptedException e) {
            // closed while pausing
        } finally {
            dropCursor();
        }
    }

    /** Asks the peer what it holds and reopens the cursor at {@code max(local confirmed, peer durable)}. */
    private void resume() throws IOException, InterruptedException, ShipFailure {
        HttpRequest.Builder req = request(statusUri).GET();
        HttpResponse<String> r = client.send(req.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new ShipFailure("status: peer answered " + r.statusCode() + " " + excerpt(r.body()));
        }
        long durable = field(r, "durable");
        long applied = field(r, "applied");
        long last = journal.lastSequence();
        if (durable > last) {
            throw new ShipFailure("the peer holds " + region + " up to " + durable + ", beyond this journal's last sequence "
                    + last + " (was the journal replaced?)");
        }
        answered();
        acknowledged(Math.min(durable, journal.durableSequence()), applied);
        long from = Math.max(journal.confirmedSequence(), durable);
        cursor = journal.openCursor(from);
        carry = null;
        sent = from;
    }

    /** Encoded records {@code first..last}, contiguous. */
    private record Batch(List<byte[]> payloads, long first, long last) {
    }

    /** Up to {@code batchRecords}/{@code batchBytes} durable records, at least one; null when none came in time. */
    private Batch nextBatch() throws IOException, InterruptedException {
        byte[] head = carry;
        long first = carrySequence;
        carry = null;
        if (head == null) {
            JournalRecord r = cursor.next(Duration.ofNanos(pollNanos()));
            if (r == null) {
                backoffMillis = 0;
                return null;
            }
            head = RecordCodec.encode(r);
            first = r.sequence();
        }
        List<byte[]> payloads = new ArrayList<>();
        payloads.add(head);
        long bytes = Frames.HEADER_BYTES + head.length;
        while (payloads.size() < settings.batchRecords()) {
            JournalRecord r = cursor.poll();
            if (r == null) {
                break;
            }
            byte[] p = RecordCodec.encode(r);
            if (bytes + Frames.HEADER_BYTES + p.length > settings.batchBytes()) {
                carry = p;
                carrySequence = r.sequence();
                break;
            }
            payloads.add(p);
            bytes += Frames.HEADER_BYTES + p.length;
        }
        return new Batch(payloads, first, first + payloads.size() - 1);
    }

    /** How long to wait for a record: until the coalesced confirm is due when one is pending. */
    private long pollNanos() {
        if (waiters.confirmed() <= journal.confirmedSequence()) {
            return IDLE_POLL_NANOS;
        }
        long due = CONFIRM_EVERY_NANOS - (System.nanoTime() - lastConfirmWriteNanos);
        return Math.max(TimeUnit.MILLISECONDS.toNanos(1), Math.min(IDLE_POLL_NANOS, due));
    }

    private void ship(Batch batch) throws IOException, InterruptedException, ShipFailure {
        byte[] body = ShipProtocol.encodeBatch(batch.payloads());
        long firstSeq = batch.first();
        long lastSeq = batch.last();
        HttpRequest req = request(recordsUri)
                .header("Content-Type", ShipProtocol.CONTENT_TYPE)
                .header(ShipProtocol.ORIGIN_HEADER, region)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
        switch (r.statusCode()) {
            case 200 -> {
                long durable = field(r, "durable");
                if (durable < lastSeq) {
                    throw new ShipFailure("the peer acknowledged " + firstSeq + ".." + lastSeq + " as durable up to " + durable);
                }
                answered();
                recordsShipped += batch.payloads().size();
                bytesShipped += body.length;
                batchesShipped++;
                lastBatchMillis = System.currentTimeMillis();
                backoffMillis = 0;
                sent = lastSeq;
                acknowledged(Math.min(durable, journal.durableSequence()), field(r, "applied"));
            }
            case 409 -> {
                long expected = field(r, "expected");
                answered();
                rewinds++;
                if (expected < 1 || expected - 1 > journal.lastSequence()) {
                    throw new ShipFailure("the peer expects " + region + " sequence " + expected + ", beyond this journal's last "
                            + journal.lastSequence());
                }
                LOG.info("continuity peer " + settings.peer() + " expects sequence " + expected + " (sent " + firstSeq
                        + ".." + lastSeq + "): rewinding");
                dropCursor();
                cursor = journal.openCursor(expected - 1);
                sent = expected - 1;
            }
            default -> throw new ShipFailure("records " + firstSeq + ".." + lastSeq + ": peer answered " + r.statusCode()
                    + " " + excerpt(r.body()));
        }
    }

    /** The peer holds {@code durable}: waiters first, then (coalesced) the journal's watermark. */
    private void acknowledged(long durable, long applied) {
        peerApplied = applied;
        waiters.confirm(durable);
    }

    /** Persists the confirmed watermark when it moved and 50 ms passed since the last write (or when forced). */
    private void persistConfirmed(boolean force) throws IOException {
        long c = waiters.confirmed();
        if (c > journal.confirmedSequence() && (force || System.nanoTime() - lastConfirmWriteNanos >= CONFIRM_EVERY_NANOS)) {
            journal.confirm(c);
            lastConfirmWriteNanos = System.nanoTime();
        }
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(settings.requestTimeout());
        settings.token().ifPresent(t -> b.header("Authorization", "Bearer " + t));
        return b;
    }

    private void answered() {
        if (!available) {
            LOG.info("continuity peer " + settings.peer() + " answers again");
        }
        available = true;
    }

    /** Counts a failure; the counter moves last, so whoever sees it sees the peer unavailable and the error. */
    private void failed(Exception e) {
        String text = e instanceof ShipFailure ? e.getMessage() : e.toString();
        if (available) {
            LOG.warning("continuity peer " + settings.peer() + ": " + text + " (backing off, retrying)");
        }
        available = false;
        lastError = text;
        lastErrorMillis = System.currentTimeMillis();
        errors++;
    }

    /** Sleeps the next backoff: doubling from min to max, half of it random (jitter). Interrupted by close. */
    private void pause() throws InterruptedException {
        long min = settings.backoffMin().toMillis();
        long max = settings.backoffMax().toMillis();
        long b = backoffMillis == 0 ? min : Math.min(max, backoffMillis * 2);
        backoffMillis = b;
        long half = Math.max(1, b / 2);
        Thread.sleep(b - half + ThreadLocalRandom.current().nextLong(half + 1));
    }

    private void dropCursor() {
        carry = null;
        if (cursor != null) {
            try {
                cursor.close();
            } catch (IOException e) {
                LOG.log(Level.FINE, "closing the shipper's cursor", e);
            }
            cursor = null;
        }
    }

    private static long field(HttpResponse<String> r, String name) throws ShipFailure {
        return ShipProtocol.jsonLong(r.body(), name).orElseThrow(() -> new ShipFailure("peer answered " + r.statusCode()
                + " without \"" + name + "\": " + excerpt(r.body())));
    }

    private static String excerpt(String body) {
        String s = body == null ? "" : body.strip();
        return s.length() <= ERROR_BODY_CHARS ? s : s.substring(0, ERROR_BODY_CHARS) + "...";
    }

    /** A request the peer answered with something other than what the protocol allows. */
    private static final class ShipFailure extends Exception {
        ShipFailure(String message) {
            super(message, null, false, false);
        }
    }
}
