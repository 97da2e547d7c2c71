package io.pharos.health.active;

import java.time.Duration;
import java.util.Objects;

/**
 * When and how often to check, and how many results flip the verdict. Defaults follow HAProxy
 * ({@link #defaults()}: 2s, 1s, rise 2, fall 3), jitter ±15%.
 *
 * @param interval     time between checks while the state is settled
 * @param fastInterval time between checks while the state is changing (a streak toward rise or fall)
 * @param timeout      a check not finished by then fails with reason {@code timeout}
 * @param rise         consecutive successes to become healthy
 * @param fall         consecutive failures to become unhealthy
 * @param jitter       each delay is drawn from interval × [1 − jitter, 1 + jitter]; 0..0.5
 * @param start        the state before the first verdict
 */
public record CheckPolicy(
        Duration interval, Duration fastInterval, Duration timeout, int rise, int fall, double jitter, Start start) {

    /** The state before the first verdict. */
    public enum Start {
        /** {@code unknown}, usable for traffic until the first {@code fall} failures. */
        OPTIMISTIC,
        /** {@code unhealthy}: no traffic before {@code rise} successes. */
        PESSIMISTIC
    }

    public static final double DEFAULT_JITTER = 0.15;

    public CheckPolicy {
        Objects.requireNonNull(start, "start");
        checkPositive("interval", interval);
        checkPositive("fastInterval", fastInterval);
        checkPositive("timeout", timeout);
        if (rise < 1) {
            throw new IllegalArgumentException("rise: " + rise + " (expected: >= 1)");
        }
        if (fall < 1) {
            throw new IllegalArgumentException("fall: " + fall + " (expected: >= 1)");
        }
        Jitter.checkJitter(jitter);
    }

    public static CheckPolicy defaults() {
        return new CheckPolicy(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3,
                DEFAULT_JITTER, Start.OPTIMISTIC);
    }

    private static void checkPositive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
        }
    }
}
