package io.pharos.proxy.continuity.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * A {@link JournalCursor} over the segment files: finds each record through the segment index and reads
 * it with its own channel, never past the durable sequence. Confined to the thread using it.
 */
final class FileCursor implements JournalCursor {
    private final FileJournal journal;
    /** The last sequence returned; the cursor's thread. */
    private long position;
    /** The segment being read; the cursor's thread. */
    private Segment segment;
    /** The open channel of {@link #segment}; the cursor's thread. */
    private FileChannel channel;

    FileCursor(FileJournal journal, long afterSequence) {
        this.journal = journal;
        this.position = afterSequence;
    }

    @Override
    public JournalRecord poll() throws IOException {
        long next = position + 1;
        if (next > journal.durableSequence) {
            return null;
        }
        if (segment == null || !segment.contains(next)) {
            Segment s = journal.segmentFor(next);
            if (s == null) {
                long confirmed = journal.confirmedSequence();
                if (next > confirmed) {
                    throw new SequenceRetiredException(next, journal.firstSequence());
                }
                // retired (or skipped by a replica journal) and confirmed: nobody needs them, go on after them
                position = confirmed;
                return poll();
            }
            open(s, next);
        }
        long offset = segment.offsetOf(next);
        Frames.Frame f = Frames.read(channel, offset, segment.endOf(next));
        if (f.kind() != Frames.Kind.OK) {
            throw new JournalCorruptException(segment.file, offset, "durable record " + next + ": "
                    + (f.kind() == Frames.Kind.END ? "missing" : f.problem()));
        }
        JournalRecord r;
        try {
            r = RecordCodec.decode(f.payload());
        } catch (MalformedRecordException e) {
            throw new JournalCorruptException(segment.file, offset, "durable record " + next + ": " + e.getMessage());
        }
        if (r.sequence() != next) {
            throw new JournalCorruptException(segment.file, offset, "record has sequence " + r.sequence() + ", expected " + next);
        }
        position = next;
        return r;
    }

    @Override
    public JournalRecord next(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JournalRecord r = poll();
            if (r != null || !journal.awaitDurable(position + 1, deadline)) {
                return r;
            }
        }
    }

    @Override
    public long position() {
        return position;
    }

    private void open(Segment s, long sequence) throws IOException {
        close();
        try {
            channel = FileChannel.open(s.file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new SequenceRetiredException(sequence, journal.firstSequence());
        }
        segment = s;
    }

    @Override
    public void close() throws IOException {
        segment = null;
        if (channel != null) {
            FileChannel c = channel;
            channel = null;
            c.close();
        }
    }
}
