package io.pharos.health.event;

/** Receives health events on the publisher thread. Must not block for long. */
@FunctionalInterface
public interface HealthEventListener {
    void onEvent(HealthEvent event);
}
