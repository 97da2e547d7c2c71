package io.pharos.proxy.continuity.journal;

/**
 * An append the journal cannot take now; the HTTP layer answers 503 + Retry-After. No stack trace: it is
 * an expected answer under load, not a bug.
 */
public final class JournalFullException extends RuntimeException {
    /** Why the append was refused. */
    public enum Reason {
        /** The hand-over queue to the writer thread is full (the disk is slower than the writes). */
        QUEUE,
        /** Unconfirmed records hold {@code max-bytes}: the peer is behind or unreachable. */
        CAP,
        /** The disk refused a write (full or failing). */
        DISK
    }

    private final Reason reason;

    JournalFullException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
