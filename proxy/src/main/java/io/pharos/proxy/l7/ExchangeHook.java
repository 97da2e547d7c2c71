package io.pharos.proxy.l7;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponse;
import io.pharos.proxy.cluster.Backend;

import java.util.concurrent.CompletionStage;

/**
 * What an {@link ExchangeObserver} hooked into one exchange: it may refuse the request before any
 * backend sees it, see the body as it streams and refuse it midway, and hold the backend's response
 * until an asynchronous decision lets it through or replaces it with a refusal. Every method has a
 * default that lets the exchange go on as if unhooked.
 *
 * <p>Loop-confined: every method is called on the event loop of the exchange's client connection (or
 * HTTP/2 stream), and must neither block nor throw. The heads and buffers passed are valid during the
 * call only; retain or copy what is kept.
 *
 * <p>Order: {@link #admit}, then {@link #onRequestBody} per piece, then at most one
 * {@link #onResponseHead}, then {@link #onEnd} exactly once, last (also when the exchange is cut short
 * at any point). Interim 1xx responses and a {@code 101 Switching Protocols} are written at once and are
 * never offered to {@link #onResponseHead} (after a 101 the connections are a byte relay the hook does not
 * see; {@code onEnd(101, true)} follows the switch), so an {@code Upgrade} request is never held.
 */
public interface ExchangeHook {
    /**
     * Before any backend is picked: null to go on, or the refusal the proxy answers instead. The client
     * connection closes after the refusal when the request has a body not yet read.
     */
    default Refusal admit() {
        return null;
    }

    /**
     * A piece of the request body as it goes to the backend, each piece once and in order (a retry that
     * sends the body again to another backend does not repeat it; a request without a body has none). A
     * non-null refusal abandons the try before the piece is sent (its backend connection is closed, so the
     * backend never gets a complete request; not counted as a backend failure), answers the refusal, and
     * closes the client connection.
     *
     * @param content the piece's bytes, readable from its reader index; valid during the call only
     * @param last whether this piece ends the request
     */
    default Refusal onRequestBody(ByteBuf content, boolean last) {
        return null;
    }

    /**
     * A backend's final response head, framed for the client, before anything of it is written. Null:
     * it is written now. Otherwise the response (head and body) is held: reads from the backend stop once
     * what was already read is queued, until the stage completes, on any thread (the exchange hops back
     * to its loop). Completed with null: the held response is written and relaying resumes. Completed
     * with a refusal, or exceptionally (answered as 503): the backend's response is dropped and its
     * connection closed (not counted as a backend failure), and the refusal is answered.
     *
     * <p>The stage must complete in bounded time: the hold has no timer of its own (the client
     * connection's {@code http.idle-timeout} is the only backstop, and on HTTP/2 only once no stream of
     * the connection moves). A completion after the exchange ended
     * (client gone, idle timeout) is ignored. If the backend closes before the held response is whole,
     * the held part is dropped and the client gets a 502.
     *
     * @param response the head as the client will get it; it must not be changed
     * @param backend the backend that answered
     */
    default CompletionStage<Refusal> onResponseHead(HttpResponse response, Backend backend) {
        return null;
    }

    /**
     * The exchange ended; called exactly once, last.
     *
     * @param status the status of the response head sent to the client (a refusal's too), or 0 when none was sent
     * @param completed whether the whole response was written to the client connection; false when the
     *        exchange was cut short (client gone, backend failed mid-response, idle timeout)
     */
    default void onEnd(int status, boolean completed) {
    }
}
