package io.pharos.proxy.continuity.journal;

/** A cursor asked for a sequence that retention already deleted. */
public final class SequenceRetiredException extends IllegalStateException {
    SequenceRetiredException(long sequence, long oldestRetained) {
        super("sequence " + sequence + " was deleted by retention (oldest retained: "
                + (oldestRetained == 0 ? "none" : oldestRetained) + ")");
    }
}
