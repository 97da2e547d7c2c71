package io.pharos.proxy.continuity.journal;

import org.HdrHistogram.Histogram;

/**
 * A point-in-time view of a journal for the admin API and metrics.
 *
 * @param bytes                          bytes of segment files
 * @param segments                       segment files
 * @param records                        records held (retained)
 * @param firstSequence                  oldest retained sequence (0 when empty)
 * @param lastSequence                   newest sequence handed out
 * @param durableSequence                newest sequence covered by an fsync
 * @param confirmedSequence              the peer's durable watermark
 * @param unconfirmedBytes               bytes of records (queued or written) above the watermark: what the cap counts
 * @param oldestUnconfirmedAppendMillis  append time of the oldest durable record not confirmed, -1 when none
 * @param appended                       records made durable since open
 * @param forces                         fsyncs of segment data since open
 * @param refusedQueue                   appends refused because the hand-over queue was full
 * @param refusedCap                     appends refused at the unconfirmed-bytes cap
 * @param refusedDisk                    appends refused or failed because the disk refused a write
 * @param fsyncMicros                    fsync latency, microseconds (a copy)
 */
public record JournalStats(
        long bytes,
        int segments,
        long records,
        long firstSequence,
        long lastSequence,
        long durableSequence,
        long confirmedSequence,
        long unconfirmedBytes,
        long oldestUnconfirmedAppendMillis,
        long appended,
        long forces,
        long refusedQueue,
        long refusedCap,
        long refusedDisk,
        Histogram fsyncMicros) {
}
