package io.pharos.proxy.continuity.apply;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The records between the applied watermark and the last one read: which are still pending, how much room
 * is left for reading ahead, and the watermark itself, the highest sequence up to which every record read
 * is applied (records complete out of order across lanes).
 *
 * <p>Threads: the reader thread takes room and adds records in sequence order; lanes' event loops complete
 * them (never blocking); anyone reads the watermark and the pending records.
 */
final class ApplyWindow {
    private final Semaphore room;
    private final ConcurrentSkipListMap<Long, PendingRecord> pending = new ConcurrentSkipListMap<>();
    /** The sequence of the last record read (the starting point before any); written by the reader thread. */
    private volatile long lastRead;

    ApplyWindow(int maxInFlight, long appliedBefore) {
        this.room = new Semaphore(maxInFlight);
        this.lastRead = appliedBefore;
    }

    /** Reader thread: waits up to {@code timeoutNanos} for room for one more record; false when there is none. */
    boolean takeRoom(long timeoutNanos) throws InterruptedException {
        return room.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS);
    }

    /** Reader thread: the room taken was not used (nothing to read). */
    void giveBackRoom() {
        room.release();
    }

    /** Reader thread, in sequence order, with room taken: the record is pending from now. */
    void add(PendingRecord p) {
        pending.put(p.sequence(), p);
        lastRead = p.sequence();
    }

    /** Any thread (a lane's loop): the record is applied; its room is free again. */
    void complete(long sequence) {
        if (pending.remove(sequence) != null) {
            room.release();
        }
    }

    long lastRead() {
        return lastRead;
    }

    /**
     * Every record up to this is applied: just below the oldest pending one, or the last one read when none
     * is pending. Any thread; never too high (the last-read is read before the pending set).
     */
    long watermark() {
        long read = lastRead;
        Map.Entry<Long, PendingRecord> oldest = pending.firstEntry();
        return oldest == null ? read : Math.min(read, oldest.getKey() - 1);
    }

    int pendingCount() {
        return pending.size();
    }

    /** The pending record with the lowest sequence, or null. */
    PendingRecord oldest() {
        Map.Entry<Long, PendingRecord> e = pending.firstEntry();
        return e == null ? null : e.getValue();
    }

    /** The pending record with the lowest sequence whose last try failed, or null; walks the pending records. */
    PendingRecord oldestFailing() {
        for (Iterator<PendingRecord> it = pending.values().iterator(); it.hasNext(); ) {
            PendingRecord p = it.next();
            if (p.lastError() != null) {
                return p;
            }
        }
        return null;
    }
}
