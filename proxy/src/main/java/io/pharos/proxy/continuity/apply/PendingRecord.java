package io.pharos.proxy.continuity.apply;

import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.continuity.journal.JournalRecord;

/**
 * A record read from the inbound journal and not yet applied, with its tries so far. Created by the
 * reader thread; the tries are written by its lane's event loop and read by whoever asks for the status.
 */
final class PendingRecord {
    final JournalRecord record;
    /** Tries started; written by the lane's loop only (so the increment is safe), read by status. */
    private volatile int attempts;
    /** Why the last try failed, or null while none failed; written by the lane's loop, read by status. */
    private volatile String lastError;
    /** The backend of the last failed try, passed over by the next pick if another is usable; lane's loop only. */
    private Backend lastFailed;

    PendingRecord(JournalRecord record) {
        this.record = record;
    }

    long sequence() {
        return record.sequence();
    }

    int attempts() {
        return attempts;
    }

    String lastError() {
        return lastError;
    }

    /** Lane's loop: a try starts; returns its number (1 for the first). */
    int startTry() {
        int n = attempts + 1;
        attempts = n;
        return n;
    }

    /** Lane's loop: the try failed, on {@code backend} when it got as far as one. */
    void failed(String why, Backend backend) {
        lastError = why;
        if (backend != null) {
            lastFailed = backend;
        }
    }

    Backend lastFailed() {
        return lastFailed;
    }
}
