package io.pharos.proxy.continuity.apply;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How an {@link Applier} replays one origin region's records.
 *
 * @param lanes          records of one partition key go to one lane, in sequence order; lanes apply in
 *                       parallel, one record at a time each (1..1024)
 * @param maxInFlight    records read from the journal and not yet applied; the reader stops reading ahead
 *                       at this many (bounded memory; >= 1)
 * @param backoffMin     the pause after a record's first failed try (> 0)
 * @param backoffMax     the longest pause between tries of one record (>= backoffMin); the pause doubles per
 *                       failure up to it, jittered down to half
 * @param requestTimeout how long one try waits for the whole response; empty: the cluster's
 *                       {@code timeouts.request}
 */
public record ApplierSettings(int lanes, int maxInFlight, Duration backoffMin, Duration backoffMax,
                              Optional<Duration> requestTimeout) {
    public static final int MAX_LANES = 1024;

    public ApplierSettings {
        Objects.requireNonNull(backoffMin, "backoffMin");
        Objects.requireNonNull(backoffMax, "backoffMax");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (lanes < 1 || lanes > MAX_LANES) {
            throw new IllegalArgumentException("lanes: " + lanes + " (expected: 1.." + MAX_LANES + ")");
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("max-in-flight: " + maxInFlight + " (expected: >= 1)");
        }
        if (backoffMin.isNegative() || backoffMin.isZero()) {
            throw new IllegalArgumentException("backoff-min: " + backoffMin + " (expected: > 0)");
        }
        if (backoffMax.compareTo(backoffMin) < 0) {
            throw new IllegalArgumentException("backoff-max: " + backoffMax + " (expected: >= backoff-min " + backoffMin + ")");
        }
        requestTimeout.ifPresent(t -> {
            if (t.isNegative() || t.isZero()) {
                throw new IllegalArgumentException("request-timeout: " + t + " (expected: > 0)");
            }
        });
    }

    /** 8 lanes, 1024 records in flight, backoff 100 ms .. 10 s, the cluster's request timeout. */
    public static ApplierSettings defaults() {
        return new ApplierSettings(8, 1024, Duration.ofMillis(100), Duration.ofSeconds(10), Optional.empty());
    }
}
