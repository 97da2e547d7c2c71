package io.pharos.proxy.l7;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.pharos.proxy.cluster.Backend;

/**
 * The seam where a listener's HTTP exchanges can be watched, request and response together, once the
 * response head is known (for instance to journal the writes a backend acknowledged). One observer per
 * listener ({@link ListenerContext#exchangeObserver()}), {@link #noop()} unless wired otherwise.
 *
 * <p>Every method is called on the event loop of the client connection the exchange belongs to; one
 * observer is called from all loops at once, so it is thread-safe or keeps per-loop state. It must not
 * block. The heads and buffers it is given are valid only during the call (retain a buffer to keep it);
 * it must not change them. An exchange sees {@link #onResponseHead} at most once and
 * {@link #onExchangeEnd} exactly once, last; an exchange rejected before its head was complete has a
 * {@code null} request.
 */
public interface ExchangeObserver {
    /** An observer that watches nothing; the body is never offered to it, so nothing is done per request. */
    static ExchangeObserver noop() {
        return NoopExchangeObserver.INSTANCE;
    }

    /** STUB (replaced by the seam branch). */
    default ExchangeHook onRequest(io.pharos.proxy.config.PharosConfig.ClusterConfig cluster, HttpRequest request, boolean hasBody) {
        return null;
    }

    /**
     * Asked once per exchange, when its request head arrived: whether {@link #onRequestBody} should be
     * called for this request. The default asks for nothing.
     */
    default boolean observesRequestBody(HttpRequest request) {
        return false;
    }

    /**
     * A piece of the request body as it goes to the backend, each piece once and in order (a retry that
     * sends the body again to another backend does not repeat it).
     *
     * @param content the piece's bytes, readable from its reader index; valid during the call only
     * @param last whether this piece ends the request
     */
    default void onRequestBody(HttpRequest request, ByteBuf content, boolean last) {
    }

    /**
     * The head of the response the client gets is known, after framing, just before it is written.
     *
     * @param request the request head as forwarded to the backend
     * @param backend the backend that answered, or {@code null} when the proxy answered itself (an error page)
     */
    default void onResponseHead(HttpRequest request, HttpResponse response, Backend backend) {
    }

    /**
     * The exchange ended.
     *
     * @param status the status of the response head sent to the client, or 0 when none was sent
     * @param completed whether the whole response was written to the client connection; false when the
     *        exchange was cut short (client gone, backend failed mid-response, idle timeout)
     */
    default void onExchangeEnd(HttpRequest request, int status, boolean completed) {
    }
}
