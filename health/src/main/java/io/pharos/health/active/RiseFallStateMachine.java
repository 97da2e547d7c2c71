package io.pharos.health.active;

import io.pharos.health.HealthState;

/**
 * The rise/fall verdict of active checks, HAProxy style: {@code rise} consecutive successes make a
 * backend {@link HealthState#HEALTHY}, {@code fall} consecutive failures make it
 * {@link HealthState#UNHEALTHY}. It starts {@link HealthState#UNKNOWN} (optimistic: counts as healthy
 * for traffic until the first {@code fall} failures) or {@link HealthState#UNHEALTHY} (pessimistic:
 * no traffic before {@code rise} successes).
 *
 * <p>Pure: no I/O, no clock of its own (the caller passes the time). Not thread-safe: owned by one
 * {@link CheckSession}'s event loop.
 */
final class RiseFallStateMachine {
    private final int rise;
    private final int fall;
    /** Written by the owner thread only, as are the fields below. */
    private HealthState state;
    private int successStreak;
    private int failureStreak;
    private long changedAtNanos;

    RiseFallStateMachine(int rise, int fall, CheckPolicy.Start start, long nowNanos) {
        if (rise < 1) {
            throw new IllegalArgumentException("rise: " + rise + " (expected: >= 1)");
        }
        if (fall < 1) {
            throw new IllegalArgumentException("fall: " + fall + " (expected: >= 1)");
        }
        this.rise = rise;
        this.fall = fall;
        this.state = start == CheckPolicy.Start.PESSIMISTIC ? HealthState.UNHEALTHY : HealthState.UNKNOWN;
        this.changedAtNanos = nowNanos;
    }

    /**
     * Records one check result.
     *
     * @return the state before this result if the state changed, else {@code null}
     */
    HealthState record(boolean ok, long nowNanos) {
        HealthState before = state;
        if (ok) {
            failureStreak = 0;
            successStreak = Math.min(successStreak + 1, rise);
            if (state != HealthState.HEALTHY && successStreak >= rise) {
                state = HealthState.HEALTHY;
            }
        } else {
            successStreak = 0;
            failureStreak = Math.min(failureStreak + 1, fall);
            if (state != HealthState.UNHEALTHY && failureStreak >= fall) {
                state = HealthState.UNHEALTHY;
            }
        }
        if (state == before) {
            return null;
        }
        changedAtNanos = nowNanos;
        successStreak = 0;
        failureStreak = 0;
        return before;
    }

    HealthState state() {
        return state;
    }

    /**
     * Whether a flip is under way: successes counted toward {@code rise} while not healthy, or failures
     * toward {@code fall} while not unhealthy. Checks run at {@code fast-interval} meanwhile.
     */
    boolean isChanging() {
        return (state != HealthState.HEALTHY && successStreak > 0)
                || (state != HealthState.UNHEALTHY && failureStreak > 0);
    }

    int successStreak() {
        return successStreak;
    }

    int failureStreak() {
        return failureStreak;
    }

    /** Clock value passed with the result that caused the last change (or at construction). */
    long changedAtNanos() {
        return changedAtNanos;
    }
}
