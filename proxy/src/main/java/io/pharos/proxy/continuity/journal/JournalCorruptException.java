package io.pharos.proxy.continuity.journal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The journal's files hold damage that recovery must not repair on its own (a bad frame before the tail,
 * a gap between segments, a watermark beyond the last record): the operator decides.
 */
public final class JournalCorruptException extends IOException {
    private final Path file;
    private final long offset;

    JournalCorruptException(Path file, long offset, String problem) {
        super(file + (offset >= 0 ? " at offset " + offset : "") + ": " + problem);
        this.file = file;
        this.offset = offset;
    }

    /** The damaged file. */
    public Path file() {
        return file;
    }

    /** Byte offset of the damage in {@link #file()}, -1 when it is not a place in the file. */
    public long offset() {
        return offset;
    }
}
