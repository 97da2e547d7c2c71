package io.pharos.proxy.continuity.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The journal's one writer: drains every queued append, stamps each with the next sequence and the
 * clock, writes the frames, fsyncs once, then completes all their futures (group commit). Rolls to a
 * new segment when the next frame would pass {@code segment-size}: the old segment is fsynced and its
 * records completed first, so only the newest segment can ever have a torn tail.
 *
 * <p>A failed write cuts the file back to its last fsynced size, fails the unforced appends with
 * {@link JournalFullException.Reason#DISK} and refuses appends for a second; a failed fsync is final
 * (the kernel may have dropped the dirty pages): the journal fails and must be reopened.
 *
 * <p>Runs on the writer thread only; every field is confined to it.
 */
final class JournalWriter {
    private static final Logger LOG = Logger.getLogger(JournalWriter.class.getName());
    private static final int MAX_BATCH = 16 * 1024;
    private static final int BUFFER_BYTES = 1024 * 1024;
    private static final long PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long RETENTION_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long DISK_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final FileJournal journal;
    private final List<FileJournal.Pending> batch = new ArrayList<>();
    /** Appends written to the active segment since its last fsync. */
    private final List<FileJournal.Pending> unforced = new ArrayList<>();
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
    /** The segment appends go to; null until the first append of an empty journal. Writer thread. */
    private Segment active;
    /** The active segment's file, open for writing. Writer thread. */
    private FileChannel channel;
    /** Bytes of the active segment on the file (the buffer goes after them). Writer thread. */
    private long filePosition;
    /** Records of the active segment at its last fsync. Writer thread. */
    private int forcedCount;
    /** The newest append time in the active segment at its last fsync. Writer thread. */
    private long forcedLastAppendMillis;
    /** When retention last ran. Writer thread. */
    private long lastRetentionNanos = System.nanoTime();

    JournalWriter(FileJournal journal, Segment active) {
        this.journal = journal;
        this.active = active;
    }

    void run() {
        try {
            if (active != null) {
                openActive();
            }
            while (true) {
                int n = journal.queue.drain(batch::add, MAX_BATCH);
                if (n > 0) {
                    writeBatch();
                    batch.clear();
                } else if (journal.stopRequested) {
                    return;
                } else {
                    LockSupport.parkNanos(PARK_NANOS);
                }
                if (System.nanoTime() - lastRetentionNanos >= RETENTION_EVERY_NANOS) {
                    lastRetentionNanos = System.nanoTime();
                    journal.retain();
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            fail(e);
            for (FileJournal.Pending p : batch) {
                failIfPending(p);
            }
            batch.clear();
            drainFailing();
        } finally {
            closeChannel();
        }
    }

    private void openActive() throws IOException {
        channel = FileChannel.open(active.file, StandardOpenOption.WRITE);
        filePosition = active.bytes();
        forcedCount = active.count();
        forcedLastAppendMillis = active.lastAppendMillis();
    }

    private void writeBatch() {
        for (FileJournal.Pending p : batch) {
            if (journal.failure != null) {
                failIfPending(p);
                continue;
            }
            if (System.nanoTime() - journal.diskRefusedUntilNanos < 0) {
                refuseDisk(p, "the disk refused the last write");
                continue;
            }
            try {
                if (p.replica && !placeReplica(p)) {
                    continue;
                }
                if (active == null || (active.bytes() > 0 && active.bytes() + p.frameBytes() > journal.settings.segmentSize())) {
                    commit();
                    roll(journal.lastSequence + 1);
                }
                buffer(p);
            } catch (IOException e) {
                rollBack(p, e);
            }
        }
        try {
            commit();
        } catch (IOException e) {
            rollBack(null, e);
        }
    }

    /**
     * Whether a replica append is the next record. A journal that holds no record starts at the replica's
     * sequence instead (the skipped ones count as confirmed); any other sequence is refused.
     */
    private boolean placeReplica(FileJournal.Pending p) throws IOException {
        long sequence = RecordCodec.peekSequence(p.payload);
        long next = journal.lastSequence + 1;
        if (sequence == next) {
            return true;
        }
        if (sequence > next && journal.firstSequence() == 0) {
            startAt(sequence);
            return true;
        }
        p.settled = true;
        journal.heldBytes.addAndGet(-p.frameBytes());
        p.future.completeExceptionally(new IllegalArgumentException("journal " + journal.dir + ": replica sequence "
                + sequence + " is not the next one (expected " + next + ")"));
        return false;
    }

    /**
     * Makes an empty journal continue at {@code first}: a new segment of that name, or the empty active
     * segment renamed (one atomic rename, so a crash leaves one empty newest segment under either name,
     * both valid). Then the sequences before it count as handed out, durable and confirmed.
     */
    private void startAt(long first) throws IOException {
        commit();
        if (active == null) {
            roll(first);
        } else {
            Segment empty = active;
            Path renamed = SegmentFiles.path(journal.dir, first);
            closeChannel();
            try {
                Files.move(empty.file, renamed, StandardCopyOption.ATOMIC_MOVE);
                SegmentFiles.forceDirectory(journal.dir);
            } finally {
                boolean moved = Files.exists(renamed);
                active = moved ? new Segment(renamed, first) : empty;
                openActive();
                if (moved) {
                    journal.segments.remove(empty.firstSequence);
                    journal.segments.put(first, active);
                }
            }
        }
        journal.skipTo(first - 1);
    }

    private void buffer(FileJournal.Pending p) throws IOException {
        long sequence;
        long now;
        if (p.replica) {
            sequence = RecordCodec.peekSequence(p.payload);
            now = RecordCodec.peekAppendTime(p.payload);
        } else {
            sequence = journal.lastSequence + 1;
            now = journal.clock.millis();
            RecordCodec.stamp(p.payload, sequence, now);
        }
        int crc = Frames.crc(p.payload);
        if (buffer.remaining() < p.frameBytes()) {
            flush();
        }
        if (buffer.remaining() >= p.frameBytes()) {
            Frames.write(buffer, p.payload, crc);
        } else {
            ByteBuffer header = ByteBuffer.allocate(Frames.HEADER_BYTES).putInt(p.payload.length).putInt(crc).flip();
            writeFully(header);
            writeFully(ByteBuffer.wrap(p.payload));
        }
        p.sequence = sequence;
        unforced.add(p);
        active.add(p.frameBytes(), now);
        journal.lastSequence = sequence;
    }

    private void flush() throws IOException {
        buffer.flip();
        try {
            writeFully(buffer);
        } finally {
            buffer.clear();
        }
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            filePosition += channel.write(b, filePosition);
        }
    }

    /** Writes what is buffered, fsyncs, publishes the durable sequence and completes the unforced appends. */
    private void commit() throws IOException {
        if (unforced.isEmpty()) {
            return;
        }
        flush();
        journal.forceHook.beforeForce();
        long start = System.nanoTime();
        try {
            channel.force(false);
        } catch (IOException e) {
            // after a failed fsync the page cache may have dropped the data: nothing later can be trusted
            throw new FsyncFailedException(e);
        }
        journal.fsyncMicros.recordValue(Math.min(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start),
                journal.fsyncMicros.getHighestTrackableValue()));
        journal.forces.increment();
        forcedCount = active.count();
        forcedLastAppendMillis = active.lastAppendMillis();
        journal.durableSequence = active.lastSequence();
        journal.signalDurable();
        journal.appended.add(unforced.size());
        for (FileJournal.Pending p : unforced) {
            p.settled = true;
            p.future.complete(p.sequence);
        }
        unforced.clear();
    }

    /** Starts the segment whose first record is {@code first} (the previous one is committed); its directory entry is made durable. */
    private void roll(long first) throws IOException {
        Segment next = new Segment(SegmentFiles.path(journal.dir, first), first);
        FileChannel created = FileChannel.open(next.file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            SegmentFiles.forceDirectory(journal.dir);
        } catch (IOException e) {
            // keep writing to the old segment's channel; the next append tries the roll again
            created.close();
            Files.deleteIfExists(next.file);
            throw e;
        }
        closeChannel();
        channel = created;
        active = next;
        filePosition = 0;
        forcedCount = 0;
        forcedLastAppendMillis = 0;
        journal.segments.put(first, next);
    }

    /**
     * A write failed: cut the active segment back to its last fsync, fail what was not forced (and
     * {@code current}, the append being buffered, if any) and refuse appends for a while.
     */
    private void rollBack(FileJournal.Pending current, IOException e) {
        if (e instanceof FsyncFailedException) {
            fail(e.getCause());
            if (current != null) {
                failIfPending(current);
            }
            return;
        }
        LOG.log(Level.WARNING, "journal " + journal.dir + ": write failed, refusing appends for a second", e);
        journal.diskRefusedUntilNanos = System.nanoTime() + DISK_BACKOFF_NANOS;
        buffer.clear();
        if (active != null && channel != null) {
            active.truncate(forcedCount, forcedLastAppendMillis);
            filePosition = active.bytes();
            journal.lastSequence = active.lastSequence();
            try {
                channel.truncate(filePosition);
            } catch (IOException t) {
                fail(t);
            }
        }
        for (FileJournal.Pending p : unforced) {
            refuseDisk(p, e.getMessage());
        }
        unforced.clear();
        if (current != null) {
            refuseDisk(current, e.getMessage());
        }
    }

    /** Refuses an append the writer has not answered yet; its bytes are released before its future fails. */
    private void refuseDisk(FileJournal.Pending p, String why) {
        if (p.settled) {
            return;
        }
        p.settled = true;
        journal.refusedDisk.increment();
        journal.heldBytes.addAndGet(-p.frameBytes());
        p.future.completeExceptionally(new JournalFullException(JournalFullException.Reason.DISK,
                "journal " + journal.dir + ": " + why));
    }

    /** The journal can no longer write: every unforced append fails, later ones fail at once. */
    private void fail(Throwable cause) {
        if (journal.failure == null) {
            LOG.log(Level.SEVERE, "journal " + journal.dir + " failed; it must be reopened", cause);
            journal.failure = cause;
        }
        for (FileJournal.Pending p : unforced) {
            failIfPending(p);
        }
        unforced.clear();
    }

    /**
     * Fails an append with the journal's failure unless the writer already answered it. The bytes are
     * released first, so whoever sees the future fail also sees them gone from the cap.
     */
    private void failIfPending(FileJournal.Pending p) {
        if (p.settled) {
            return;
        }
        p.settled = true;
        journal.heldBytes.addAndGet(-p.frameBytes());
        p.future.completeExceptionally(failedException());
    }

    /** After a failure: fails whatever is still queued until close stops the writer. */
    private void drainFailing() {
        while (true) {
            FileJournal.Pending p = journal.queue.poll();
            if (p != null) {
                failIfPending(p);
            } else if (journal.stopRequested) {
                return;
            } else {
                LockSupport.parkNanos(PARK_NANOS);
            }
        }
    }

    private IllegalStateException failedException() {
        return new IllegalStateException("journal " + journal.dir + " failed; reopen it", journal.failure);
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "journal " + journal.dir + ": closing " + active.file, e);
            }
            channel = null;
        }
    }

    /** An fsync failed: not a refusal to retry but the end of this journal instance. */
    private static final class FsyncFailedException extends IOException {
        FsyncFailedException(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }
}
