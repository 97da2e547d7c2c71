package io.pharos.health.passive;

import io.pharos.health.EndpointId;

import java.time.Duration;

/** Told about the decider's verdicts, on the control thread that runs {@link OutlierDetector#evaluate()}. */
public interface OutlierListener {

    /**
     * A backend is ejected.
     *
     * @param reason     e.g. {@code 5 consecutive gateway failures}
     * @param duration   how long at least
     * @param ejections  how many times it has been ejected, this one included
     */
    void onEjected(EndpointId id, String reason, Duration duration, int ejections);

    /** An ejected backend is back; {@code reason} says why ({@code ejection over}, ...). */
    void onReturned(EndpointId id, String reason);
}
