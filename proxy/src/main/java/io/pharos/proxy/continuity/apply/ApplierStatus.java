package io.pharos.proxy.continuity.apply;

import java.util.Optional;

/**
 * What an {@link Applier} has done for one origin region, for the admin API and metrics. A snapshot:
 * the fields are read one after the other, not atomically together.
 *
 * @param origin           the origin region whose records these are
 * @param appliedSequence  the applied watermark: every record up to it is applied
 * @param receivedSequence the inbound journal's durable sequence: what the origin shipped here
 * @param pending          records read from the journal and not yet applied
 * @param applied          records applied since start (see {@code Outcome})
 * @param retries          tries that failed and were scheduled again since start
 * @param alreadyApplied   of {@code applied}, those the application answered 422, or 404/410 to a DELETE ("already applied")
 * @param stuck            the oldest pending record whose last try failed, if any
 * @param lagRecords       {@code receivedSequence - appliedSequence}
 * @param lagSeconds       seconds since the oldest pending record was appended at the origin (0 when none is pending)
 * @param readerError      the last failure reading or confirming the journal, while it lasts
 */
public record ApplierStatus(String origin, long appliedSequence, long receivedSequence, int pending, long applied,
                            long retries, long alreadyApplied, Optional<Stuck> stuck, long lagRecords,
                            double lagSeconds, Optional<String> readerError) {

    /** A record that is being retried: it holds back its partition key and the applied watermark. */
    public record Stuck(long sequence, String cluster, String partitionKey, int attempts, String lastError) {
    }
}
