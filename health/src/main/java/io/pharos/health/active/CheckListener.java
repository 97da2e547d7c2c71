package io.pharos.health.active;

import io.pharos.health.EndpointId;
import io.pharos.health.HealthState;

/**
 * Told by a {@link CheckSession} about its results, on the session's event loop: must not block (hop to
 * a control thread to publish snapshots).
 */
public interface CheckListener {

    /** The verdict flipped: {@code reason} is the result that flipped it ({@code ok}, {@code timeout}, ...). */
    void onStateChange(EndpointId id, HealthState from, HealthState to, String reason);

    /** Every finished check, after {@link #onStateChange} if it flipped the verdict. */
    default void onCheck(EndpointId id, ProbeResult result, HealthState state) {
    }
}
