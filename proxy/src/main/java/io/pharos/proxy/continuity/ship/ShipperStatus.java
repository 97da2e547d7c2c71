package io.pharos.proxy.continuity.ship;

import java.net.URI;

/**
 * A {@link PeerShipper}'s state, for {@code GET /continuity} and metrics.
 *
 * @param peer            the peer's URL
 * @param available       false after a failed request until the next success
 * @param sent            the last sequence sent in a batch the peer took (or the resume point)
 * @param confirmed       the peer's durable watermark: every record up to it is safe in the peer region
 * @param peerApplied     what the peer's applier had applied at its last answer
 * @param lastBatchMillis when the peer last took a batch (epoch millis), 0 when never
 * @param recordsShipped  records the peer took since start
 * @param bytesShipped    batch body bytes the peer took since start
 * @param batchesShipped  batches the peer took since start
 * @param rewinds         409 answers (the shipper went back to what the peer expected)
 * @param errors          failed requests since start
 * @param lastError       the last failure, {@code null} when none
 * @param lastErrorMillis when it happened (epoch millis), 0 when never
 * @param backoffMillis   the pause after the next failure (0 while requests succeed)
 */
public record ShipperStatus(URI peer, boolean available, long sent, long confirmed, long peerApplied, long lastBatchMillis,
                            long recordsShipped, long bytesShipped, long batchesShipped, long rewinds, long errors,
                            String lastError, long lastErrorMillis, long backoffMillis) {
}
