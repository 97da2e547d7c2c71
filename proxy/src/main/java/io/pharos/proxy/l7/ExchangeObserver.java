package io.pharos.proxy.l7;

import io.netty.handler.codec.http.HttpRequest;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;

/**
 * The seam where a listener's HTTP exchanges can be hooked (data continuity journals, refuses and holds
 * replicated writes here): it is asked once per accepted request whether to hook that exchange, and the
 * {@link ExchangeHook} it returns then sees the exchange through. One observer per listener
 * ({@link ListenerContext#exchangeObserver()}), {@link #noop()} unless wired otherwise.
 *
 * <p>Called on the event loop of the client connection (or HTTP/2 stream) the request came on, from all
 * loops at once: an observer is thread-safe or keeps per-loop state, and never blocks. A request rejected
 * before its head was complete or valid (400, 408, 414, 417, 431) is never offered.
 */
@FunctionalInterface
public interface ExchangeObserver {
    /** An observer that hooks nothing: one call per request that returns null. */
    static ExchangeObserver noop() {
        return NoopExchangeObserver.INSTANCE;
    }

    /**
     * A request head was accepted (valid, rewritten for the backend), before a backend is picked. Returns
     * the hook for this one exchange, or null to leave it alone (then nothing else is called for it).
     * The observer may add or change headers of {@code request} here (an {@code Idempotency-Key}); the
     * head goes to the backend as changed.
     *
     * @param cluster the config of the cluster the listener serves, as of this request (reloads change it)
     * @param request the request head as it will be forwarded (HTTP/1.1, forwarding headers added)
     * @param hasBody whether a body follows ({@code Content-Length} above 0, or chunked)
     */
    ExchangeHook onRequest(ClusterConfig cluster, HttpRequest request, boolean hasBody);
}
