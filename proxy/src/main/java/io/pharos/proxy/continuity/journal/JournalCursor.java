package io.pharos.proxy.continuity.journal;

import java.io.IOException;
import java.time.Duration;

/**
 * Reads durable journal records in sequence order from a starting point, following appends (the
 * shipper's view). One thread at a time: not thread-safe. Blocks on the disk.
 */
public interface JournalCursor extends AutoCloseable {

    /** The next durable record, or {@code null} when every durable record has been read. */
    JournalRecord poll() throws IOException;

    /** The next durable record, waiting up to {@code timeout} for one; {@code null} on timeout. */
    JournalRecord next(Duration timeout) throws IOException, InterruptedException;

    /** The sequence of the last record returned (the starting point before the first). */
    long position();

    @Override
    void close() throws IOException;
}
