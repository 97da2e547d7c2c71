package io.pharos.proxy.continuity;

import io.pharos.proxy.config.PharosConfig.ContinuityConfig;
import io.pharos.proxy.continuity.ContinuityCounters.Refused;
import io.pharos.proxy.continuity.apply.Applier;
import io.pharos.proxy.continuity.apply.ApplierStatus;
import io.pharos.proxy.continuity.journal.JournalStats;
import io.pharos.proxy.continuity.ship.ContinuityReceiver;
import io.pharos.proxy.continuity.ship.PeerShipper;
import io.pharos.proxy.continuity.ship.ReceiverStatus;
import io.pharos.proxy.continuity.ship.ShipperStatus;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of data continuity in this proxy, published by {@link ContinuityRuntime}'s status thread: the
 * journal, the write path's counters, the outbound side (shipping to the peer) and each inbound origin
 * (received and applied here). Immutable.
 *
 * @param outbound   null without a peer
 * @param receiver   null without {@code listen}
 * @param lagMillis  age of the oldest record the peer has not confirmed, -1 when none (or no peer)
 */
public record ContinuityStatus(
        ContinuityConfig config,
        long epoch,
        long takenMillis,
        JournalStats journal,
        ShipperStatus outbound,
        ReceiverStatus receiver,
        List<ApplierStatus> inbound,
        long journaled,
        long syncConfirmed,
        long degraded,
        Map<Refused, Long> refused,
        String lastError,
        long lagMillis) {

    static ContinuityStatus collect(ContinuityConfig config, JournalStats journal, PeerShipper shipper, ContinuityReceiver receiver,
                                    Collection<Applier> appliers, ContinuityCounters counters) {
        long now = System.currentTimeMillis();
        ShipperStatus out = shipper == null ? null : shipper.status();
        List<ApplierStatus> in = new ArrayList<>();
        for (Applier a : appliers) {
            in.add(a.status());
        }
        in.sort(Comparator.comparing(ApplierStatus::origin));
        long oldest = journal.oldestUnconfirmedAppendMillis();
        long lag = shipper == null || oldest < 0 ? -1 : Math.max(0, now - oldest);
        return new ContinuityStatus(config, ContinuityRuntime.EPOCH, now, journal, out, receiver == null ? null : receiver.status(),
                List.copyOf(in), 0, 0, 0, Map.of(), null, lag).withCounters(counters);
    }

    /** This snapshot with the write path's counters as they are now (they are cheap to read, and a test or an
     *  operator who just saw a refusal expects to find it counted). */
    ContinuityStatus withCounters(ContinuityCounters counters) {
        Map<Refused, Long> refused = new EnumMap<>(Refused.class);
        for (Refused r : Refused.values()) {
            refused.put(r, counters.refused(r));
        }
        return new ContinuityStatus(config, epoch, takenMillis, journal, outbound, receiver, inbound, counters.journaled.sum(),
                counters.syncConfirmed.sum(), counters.degraded.sum(), Map.copyOf(refused), counters.lastError, lagMillis);
    }

    /** Records this region journaled that the peer has not confirmed. */
    public long lagRecords() {
        return journal.durableSequence() - journal.confirmedSequence();
    }
}
