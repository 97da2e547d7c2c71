package io.pharos.gtm;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What the admin endpoint can ask of the sidecar. Every method may be called from any thread (an
 * admin event loop); the work happens on the sidecar's control thread and the future completes there.
 * A refused command completes exceptionally with {@link FailoverDecider.RefusedException}.
 */
interface AdminActions {
    /** The {@code /healthz} answer: {@code ok} selects 200 or 503; {@code text} is the body. */
    record Health(boolean ok, String text) {
    }

    CompletableFuture<Health> healthz();

    CompletableFuture<String> statusJson();

    CompletableFuture<String> metricsText();

    /** A manual failover, holding automatic failback off for {@code hold}, or until {@link #failback()} when empty. */
    CompletableFuture<Decision> failover(String toRegion, Optional<Duration> hold);

    CompletableFuture<Decision> failback();
}
