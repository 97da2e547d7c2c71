package io.pharos.proxy.continuity.journal;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * One segment file's place in the journal: its first sequence, where each record's frame ends (an
 * in-memory index, 4 bytes a record; a segment's first frame starts at 0), its size and the append time
 * of its newest record.
 *
 * <p>Written by one thread (recovery at open, then the writer thread); read by cursors, confirm and
 * stats, which only look at entries up to the journal's durable sequence: the writer fills an entry
 * before it publishes the durable sequence (a volatile write), so a reader that read that sequence sees
 * the entry.
 */
final class Segment {
    final Path file;
    final long firstSequence;
    /** Frame end offsets, index = sequence - firstSequence; the writer replaces the array when it grows. */
    private volatile int[] ends = new int[1024];
    /** Records in the segment; written by the writer (or recovery). */
    private volatile int count;
    /** Bytes of whole frames; written by the writer (or recovery). */
    private volatile long bytes;
    /** Append time of the newest record, epoch millis; written by the writer (or recovery). */
    private volatile long lastAppendMillis;

    Segment(Path file, long firstSequence) {
        this.file = file;
        this.firstSequence = firstSequence;
    }

    /** Adds the next record's frame at the end; writer thread (or recovery). */
    void add(int frameLength, long appendMillis) {
        int[] e = ends;
        int n = count;
        if (n == e.length) {
            e = Arrays.copyOf(e, n * 2);
            ends = e;
        }
        long end = bytes + frameLength;
        e[n] = (int) end;
        bytes = end;
        lastAppendMillis = appendMillis;
        count = n + 1;
    }

    /** Forgets the records from index {@code keep} on (a failed write was cut off); writer thread. */
    void truncate(int keep, long keepLastAppendMillis) {
        count = keep;
        bytes = keep == 0 ? 0 : ends[keep - 1];
        lastAppendMillis = keepLastAppendMillis;
    }

    int count() {
        return count;
    }

    long bytes() {
        return bytes;
    }

    long lastAppendMillis() {
        return lastAppendMillis;
    }

    /** The last sequence in this segment ({@code firstSequence - 1} when empty). */
    long lastSequence() {
        return firstSequence + count - 1;
    }

    boolean contains(long sequence) {
        return sequence >= firstSequence && sequence <= lastSequence();
    }

    /** Where the frame of {@code sequence} (held by this segment) starts. */
    long offsetOf(long sequence) {
        int i = index(sequence);
        return i == 0 ? 0 : ends[i - 1];
    }

    /** Where the frame of {@code sequence} (held by this segment) ends. */
    long endOf(long sequence) {
        return ends[index(sequence)];
    }

    private int index(long sequence) {
        assert contains(sequence) : sequence + " not in " + file;
        return (int) (sequence - firstSequence);
    }
}
