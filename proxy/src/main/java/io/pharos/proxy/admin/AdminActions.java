package io.pharos.proxy.admin;

import io.pharos.proxy.config.ReloadResult;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The changes the admin API may ask for. Each is posted to the proxy's control thread and returns at
 * once; the future completes there when the change is done.
 */
public interface AdminActions {

    /** Result of an operator action on one backend. */
    enum Outcome { OK, NO_CLUSTER, NO_BACKEND }

    /** Re-reads the config file and applies it (same as SIGHUP). */
    CompletableFuture<ReloadResult> reloadAsync();

    /**
     * Operator drain: the backend gets no new requests or connections; in-flight ones finish. With a
     * {@code timeout}, its connections still open when it expires are closed. Kept in the state file.
     */
    CompletableFuture<Outcome> drainAsync(String cluster, String backend, Optional<Duration> timeout);

    /** Undoes a drain, and only that: a weight override stays until {@link #clearWeightAsync}. */
    CompletableFuture<Outcome> readyAsync(String cluster, String backend);

    /** Sets the backend's weight (0..65535) over the config's, across reloads and restarts. */
    CompletableFuture<Outcome> weightAsync(String cluster, String backend, int weight);

    /** Removes the backend's weight override: the config's weight applies again (no-op without one). */
    CompletableFuture<Outcome> clearWeightAsync(String cluster, String backend);
}
