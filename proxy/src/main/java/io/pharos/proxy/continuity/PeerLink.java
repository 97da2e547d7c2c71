package io.pharos.proxy.continuity;

import java.util.concurrent.CompletableFuture;

/**
 * What a sync write needs of the shipper to the peer region: to wait until the peer holds a record
 * durably, and to know whether the peer answers at all. Thread-safe.
 */
interface PeerLink {
    /**
     * Completes once the peer holds {@code sequence} durably, on the shipper's thread (or at once when it
     * already does); fails only when the shipper closes. The caller bounds the wait on this very future ({@code orTimeout}),
     * which also removes the waiter.
     */
    CompletableFuture<Void> awaitConfirmed(long sequence);

    /** False after the last shipment to the peer failed, until one succeeds. */
    boolean peerAvailable();
}
