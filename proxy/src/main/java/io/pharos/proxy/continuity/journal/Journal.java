package io.pharos.proxy.continuity.journal;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;

/**
 * The durable log of acknowledged writes of one proxy node, shipped to the peer region behind (async) or
 * before (sync) the client's answer. The embedded engine ({@link #openFile}) keeps segment files on the
 * local disk; a Kafka engine will sit behind this same interface (issue 19).
 *
 * <p>Threads: {@link #append} may be called from any thread, event loops included: it never blocks and
 * its future completes on the journal's writer thread (so a caller chains with {@code ...Async(fn,
 * executor)} or does no more than hand over in the callback). {@link #openCursor}, {@link #confirm},
 * {@link #stats} and {@link #close} may block on the disk: never call them on an event loop. The
 * sequence getters are plain volatile reads, safe anywhere.
 */
public interface Journal extends AutoCloseable {

    /**
     * Opens (creating it if missing) the segment-file journal in {@code dir}, recovering it after a crash:
     * a torn tail of the last segment is truncated; a bad frame anywhere else fails with
     * {@link JournalCorruptException} naming the file and offset. Blocks on the disk.
     */
    static Journal openFile(Path dir, JournalSettings settings) throws IOException {
        return FileJournal.open(dir, settings, Clock.systemUTC(), FileJournal.NO_HOOK);
    }

    /**
     * Appends a record: the journal stamps its sequence (the next one, no gaps) and append time, whatever
     * {@code record} carries. The future completes with the sequence once an fsync covering the record
     * returned (group commit: one fsync for everything queued meanwhile). Fails at once with
     * {@link JournalFullException} when the hand-over queue is full, the journal holds its cap of
     * unconfirmed bytes, or the disk refused the last write; with {@link IllegalArgumentException} when
     * the record is over a codec bound; with {@link IllegalStateException} once the journal is closed.
     * Never blocks.
     */
    CompletableFuture<Long> append(JournalRecord record);

    /**
     * Appends a record that already has its place in its origin's journal, keeping its sequence and append
     * time (the inbound copy of a peer region's journal, so that an inbound sequence is the origin's). The
     * record must be the next one: {@code record.sequence() == lastSequence() + 1}; a journal that holds no
     * record (new, or its one segment empty) takes any later first sequence, since the origin may have
     * retired records this peer held before its disk was replaced: the sequences skipped count as
     * confirmed. Otherwise the future fails with {@link IllegalArgumentException} and the record takes no
     * place. Whether it is the next is decided on the writer thread, in the order appends arrive, so a
     * caller may queue several contiguous records without waiting. Same durability, refusals and threads as
     * {@link #append}. Never blocks.
     */
    CompletableFuture<Long> appendReplica(JournalRecord record);

    /** The last sequence handed out (written or about to be; 0 when none). */
    long lastSequence();

    /** The last sequence an fsync covers: every record up to it survives a crash. */
    long durableSequence();

    /**
     * A reader of the durable records after {@code afterSequence}, in order, following new appends.
     * Fails with {@link SequenceRetiredException} when retention already deleted {@code afterSequence + 1}.
     * Blocks on the disk.
     */
    JournalCursor openCursor(long afterSequence) throws IOException;

    /**
     * Records that the peer durably holds every record up to {@code sequence} (a durable one): persisted
     * before this returns, reloaded at open, and from then on retention may delete them. Lower values than
     * the current watermark are ignored. Blocks on the disk.
     */
    void confirm(long sequence) throws IOException;

    /** The confirmed watermark (0 when nothing is confirmed). */
    long confirmedSequence();

    /** Sizes, watermarks and fsync figures; may read one record header from the disk. */
    JournalStats stats();

    /**
     * Stops taking appends, writes and fsyncs everything already queued (completing those futures), then
     * releases the files. Blocks until the writer is done.
     */
    @Override
    void close();
}
