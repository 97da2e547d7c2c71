package io.pharos.proxy.continuity;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.pharos.proxy.config.PharosConfig.ClusterContinuity;
import io.pharos.proxy.config.PharosConfig.ContinuityMode;
import io.pharos.proxy.config.PharosConfig.OnPeerFailure;
import io.pharos.proxy.continuity.ContinuityCounters.Refused;
import io.pharos.proxy.continuity.journal.Journal;
import io.pharos.proxy.continuity.journal.JournalFullException;
import io.pharos.proxy.continuity.journal.JournalRecord;
import io.pharos.proxy.l7.Refusal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * The write side of a running data continuity: admits a replicated write before its backend sees it
 * (refusing it while the journal is full, the async lag is over the brake, or a sync peer is known to be
 * down), and commits a write the backend acknowledged: into the journal, and in sync mode to the peer,
 * before the client's answer is released. One per running {@link ContinuityRuntime}; thread-safe (called
 * from every event loop; completions run on the journal's writer or the shipper's thread).
 */
final class ReplicatedWrites {
    /** How long writes are refused up front after the journal refused one for its cap or the disk. */
    private static final long FULL_HOLD_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    static final int RETRY_AFTER_BUSY = 1;
    static final int RETRY_AFTER_FULL = 5;

    private final String region;
    private final long epoch;
    private final Journal journal;
    /** Null when no peer is configured. */
    private final PeerLink peer;
    private final ContinuityCounters counters;
    /** Age in ms of the oldest record the peer has not confirmed, or -1; published by the status thread. */
    private final LongSupplier lagMillis;
    /** Until when ({@link System#nanoTime}) writes are refused up front, after the journal refused one. */
    private volatile long fullUntilNanos;
    private volatile Refused fullReason = Refused.JOURNAL_FULL;

    ReplicatedWrites(String region, long epoch, Journal journal, PeerLink peer, ContinuityCounters counters, LongSupplier lagMillis) {
        this.region = region;
        this.epoch = epoch;
        this.journal = journal;
        this.peer = peer;
        this.counters = counters;
        this.lagMillis = lagMillis;
    }

    String region() {
        return region;
    }

    long epoch() {
        return epoch;
    }

    /** Null to let the write go to its backend, or why not. {@code contentLength} is -1 when unknown. */
    Refusal admit(ClusterContinuity cc, long contentLength) {
        if (contentLength > cc.maxBody()) {
            return refuse(Refused.BODY_TOO_LARGE, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "a replicated write's body may have at most " + cc.maxBody() + " bytes (max-body)", 0);
        }
        if (System.nanoTime() - fullUntilNanos < 0) {
            Refused why = fullReason;
            return refuse(why, HttpResponseStatus.SERVICE_UNAVAILABLE, "the continuity journal refuses writes ("
                    + why.label() + ")", RETRY_AFTER_FULL);
        }
        if (cc.mode() == ContinuityMode.ASYNC && !cc.maxLag().isZero()) {
            long lag = lagMillis.getAsLong();
            if (lag > cc.maxLag().toMillis()) {
                return refuse(Refused.MAX_LAG, HttpResponseStatus.SERVICE_UNAVAILABLE, "the peer region lags " + lag
                        + " ms behind (max-lag " + cc.maxLag().toMillis() + " ms)", RETRY_AFTER_FULL);
            }
        }
        if (cc.mode() == ContinuityMode.SYNC && cc.onPeerFailure() == OnPeerFailure.FAIL && (peer == null || !peer.peerAvailable())) {
            return refuse(Refused.PEER_UNAVAILABLE, HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "the peer region does not answer; a sync write cannot be made safe there", RETRY_AFTER_FULL);
        }
        return null;
    }

    /** A body grew past {@code max-body} while it streamed. */
    Refusal bodyTooLarge(ClusterContinuity cc) {
        return admit(cc, cc.maxBody() + 1);
    }

    /**
     * Journals a write its backend acknowledged; completes with null once the client may have the answer
     * (async: the record is durable here; sync: also at the peer), or with the refusal that replaces it.
     */
    CompletionStage<Refusal> commit(ClusterContinuity cc, JournalRecord record) {
        CompletableFuture<Long> appended;
        try {
            appended = journal.append(record);
        } catch (RuntimeException e) {
            appended = CompletableFuture.failedFuture(e);
        }
        if (cc.mode() != ContinuityMode.SYNC) {
            return appended.handle((seq, err) -> err == null ? journaled() : journalFailed(err));
        }
        long start = System.nanoTime();
        return appended.thenCompose(seq -> {
            counters.journaled.increment();
            if (peer == null || (cc.onPeerFailure() == OnPeerFailure.DEGRADE && !peer.peerAvailable())) {
                return CompletableFuture.completedFuture(degrade("the peer region does not answer"));
            }
            // the timeout on the waiter itself: a timed-out waiter leaves the shipper's list
            return peer.awaitConfirmed(seq)
                    .orTimeout(cc.syncTimeout().toNanos(), TimeUnit.NANOSECONDS)
                    .handle((v, err) -> {
                        if (err == null) {
                            counters.syncConfirmed.increment();
                            counters.syncWaitSink.record(System.nanoTime() - start);
                            return null;
                        }
                        String why = unwrap(err) instanceof TimeoutException
                                ? "the peer region did not acknowledge within " + cc.syncTimeout().toMillis() + " ms (sync.timeout)"
                                : "the shipper stopped: " + unwrap(err).getMessage();
                        if (cc.onPeerFailure() == OnPeerFailure.DEGRADE) {
                            return degrade(why);
                        }
                        return refuse(Refused.SYNC_TIMEOUT, HttpResponseStatus.SERVICE_UNAVAILABLE, why
                                + "; the local backend applied the write: retry it with the same Idempotency-Key", RETRY_AFTER_FULL);
                    });
        }).exceptionally(this::journalFailed);
    }

    /** The backend answered 2xx before the whole request body arrived: not journaled, the client gets 503. */
    Refusal incompleteBody() {
        return refuse(Refused.ERROR, HttpResponseStatus.SERVICE_UNAVAILABLE, "the backend answered before the whole request body"
                + " arrived, so the write cannot be replicated; retry it with the same Idempotency-Key", RETRY_AFTER_BUSY);
    }

    private Refusal journaled() {
        counters.journaled.increment();
        return null;
    }

    private Refusal degrade(String why) {
        counters.degraded.increment();
        counters.lastError = "degraded to async: " + why;
        return null;
    }

    private Refusal journalFailed(Throwable err) {
        Throwable e = unwrap(err);
        if (e instanceof JournalFullException full) {
            Refused why = switch (full.reason()) {
                case CAP -> Refused.JOURNAL_FULL;
                case QUEUE -> Refused.JOURNAL_BUSY;
                case DISK -> Refused.DISK;
            };
            if (why != Refused.JOURNAL_BUSY) {
                fullReason = why;
                fullUntilNanos = System.nanoTime() + FULL_HOLD_NANOS;
            }
            return refuse(why, HttpResponseStatus.SERVICE_UNAVAILABLE, "the continuity journal refused the write: " + e.getMessage()
                    + "; the local backend applied it: retry it with the same Idempotency-Key",
                    why == Refused.JOURNAL_BUSY ? RETRY_AFTER_BUSY : RETRY_AFTER_FULL);
        }
        return refuse(Refused.ERROR, HttpResponseStatus.SERVICE_UNAVAILABLE, "the write could not be journaled: " + e
                + "; the local backend applied it: retry it with the same Idempotency-Key", RETRY_AFTER_FULL);
    }

    private Refusal refuse(Refused why, HttpResponseStatus status, String reason, int retryAfter) {
        counters.refused(why, reason);
        return new Refusal(status, reason, retryAfter);
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
