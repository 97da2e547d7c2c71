package io.pharos.gtm;

import java.util.concurrent.CompletableFuture;

/**
 * What the admin endpoint can ask of the sidecar. Every method may be called from any thread (an
 * admin event loop); the work happens on the sidecar's control thread and the future completes there.
 * A refused command completes exceptionally with {@link FailoverDecider.RefusedException}.
 */
interface AdminActions {
    CompletableFuture<String> statusJson();

    CompletableFuture<String> metricsText();

    CompletableFuture<Decision> failover(String toRegion);

    CompletableFuture<Decision> failback();
}
