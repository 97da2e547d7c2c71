package io.pharos.proxy.continuity.journal;

import java.time.Duration;
import java.util.Objects;

/**
 * How the file journal sizes itself.
 *
 * @param segmentSize   a segment is rolled once the next record would take it past this (a record larger
 *                      than a whole segment gets a segment of its own)
 * @param maxBytes      retention: confirmed segments are deleted while the journal holds more than this;
 *                      cap: appends fail with {@link JournalFullException.Reason#CAP} while unconfirmed
 *                      records would take more than this
 * @param maxAge        retention: confirmed segments whose newest record is older than this are deleted
 * @param queueCapacity appends waiting for the writer; beyond it they fail with
 *                      {@link JournalFullException.Reason#QUEUE}
 */
public record JournalSettings(long segmentSize, long maxBytes, Duration maxAge, int queueCapacity) {
    public static final long DEFAULT_SEGMENT_SIZE = 64L * 1024 * 1024;
    public static final long DEFAULT_MAX_BYTES = 1024L * 1024 * 1024;
    public static final Duration DEFAULT_MAX_AGE = Duration.ofDays(7);
    public static final int DEFAULT_QUEUE_CAPACITY = 16 * 1024;
    /** Segment offsets are ints in memory: one segment stays well below 2 GiB. */
    static final long MAX_SEGMENT_SIZE = 1024L * 1024 * 1024;
    static final long MIN_SEGMENT_SIZE = 4096;

    public JournalSettings {
        Objects.requireNonNull(maxAge, "maxAge");
        if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
            throw new IllegalArgumentException("segment-size: " + segmentSize + " (expected: " + MIN_SEGMENT_SIZE + ".."
                    + MAX_SEGMENT_SIZE + ")");
        }
        if (maxBytes < segmentSize) {
            throw new IllegalArgumentException("max-bytes: " + maxBytes + " (expected: >= segment-size " + segmentSize + ")");
        }
        if (maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("max-age: " + maxAge + " (expected: > 0)");
        }
        if (queueCapacity < 2) {
            throw new IllegalArgumentException("queue-capacity: " + queueCapacity + " (expected: >= 2)");
        }
    }

    /** 64 MiB segments, 1 GiB, 7 days, 16 384 queued appends. */
    public static JournalSettings defaults() {
        return new JournalSettings(DEFAULT_SEGMENT_SIZE, DEFAULT_MAX_BYTES, DEFAULT_MAX_AGE, DEFAULT_QUEUE_CAPACITY);
    }
}
