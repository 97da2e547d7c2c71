package io.pharos.proxy.continuity.ship;

import java.util.Map;

/**
 * What a {@link ContinuityReceiver} has done since it started, for {@code GET /continuity} and metrics.
 *
 * @param port            the bound port (0 before start)
 * @param batches         batches answered 200
 * @param records         records appended to inbound journals
 * @param duplicates      records received again and skipped (already held)
 * @param refusals        refused requests by reason
 * @param lastError       the last refusal or failure, {@code null} when none
 * @param lastErrorMillis when it happened (epoch millis), 0 when none
 */
public record ReceiverStatus(int port, long batches, long records, long duplicates, Map<Refusal, Long> refusals,
                             String lastError, long lastErrorMillis) {

    /** Why a request was refused, with the status it got. */
    public enum Refusal {
        /** 401: no or a wrong bearer token. */
        UNAUTHORIZED(401),
        /** 403: the batch claims this region as its origin (a loop). */
        OWN_ORIGIN(403),
        /** 400: bad frames, CRC, records, origin header or content type. */
        MALFORMED(400),
        /** 409: the batch does not continue what the inbound journal holds. */
        GAP(409),
        /** 413: over the batch size limit. */
        TOO_LARGE(413),
        /** 503: the inbound journal is full (unapplied records at its cap, queue or disk). */
        FULL(503),
        /** 500: the inbound journal failed or could not be opened. */
        FAILED(500);

        private final int status;

        Refusal(int status) {
            this.status = status;
        }

        public int status() {
            return status;
        }
    }
}
