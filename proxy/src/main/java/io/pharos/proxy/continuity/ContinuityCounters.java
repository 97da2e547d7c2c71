package io.pharos.proxy.continuity;

import io.pharos.proxy.metrics.LatencyHistogram;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the write path of data continuity counts, for {@code GET /continuity} and the
 * {@code pharos_continuity_*} metrics. Thread-safe: event loops, the journal's writer and the shipper add
 * to it; the admin loop reads it.
 */
final class ContinuityCounters {
    /** Why a replicated write was refused (the label of {@code pharos_continuity_refused_total}). */
    enum Refused {
        /** The body is over the cluster's {@code max-body} (413). */
        BODY_TOO_LARGE,
        /** The journal holds its cap of unconfirmed bytes (503). */
        JOURNAL_FULL,
        /** The journal's hand-over queue is full (503). */
        JOURNAL_BUSY,
        /** The disk refused a journal write (503). */
        DISK,
        /** Async lag beyond the cluster's {@code max-lag} (503). */
        MAX_LAG,
        /** Sync write, the peer is known to be down, {@code on-peer-failure = fail} (503 before the backend). */
        PEER_UNAVAILABLE,
        /** Sync write, the peer did not acknowledge within {@code sync.timeout}, {@code on-peer-failure = fail} (503). */
        SYNC_TIMEOUT,
        /** Anything else that kept a write out of the journal (503). */
        ERROR;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    final LongAdder journaled = new LongAdder();
    final LongAdder syncConfirmed = new LongAdder();
    /** Sync writes acknowledged as async because the peer failed ({@code on-peer-failure = degrade}): the alarm. */
    final LongAdder degraded = new LongAdder();
    private final Map<Refused, LongAdder> refused = new EnumMap<>(Refused.class);
    /** From the journal append to the peer's acknowledgement of a sync write. */
    final LatencyHistogram syncWait = new LatencyHistogram(List.of());
    final LatencyHistogram.Sink syncWaitSink = syncWait.sinkFor(null);
    /** The last refusal or error of the write path, or null. */
    volatile String lastError;

    ContinuityCounters() {
        for (Refused r : Refused.values()) {
            refused.put(r, new LongAdder());
        }
    }

    void refused(Refused why, String reason) {
        refused.get(why).increment();
        lastError = why.label() + ": " + reason;
    }

    long refused(Refused why) {
        return refused.get(why).sum();
    }
}
