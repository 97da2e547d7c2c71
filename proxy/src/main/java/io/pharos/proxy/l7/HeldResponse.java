package io.pharos.proxy.l7;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.pharos.proxy.cluster.Backend;

import java.util.ArrayDeque;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;

/**
 * A backend's response held back from the client while its exchange's {@link ExchangeHook} decides
 * ({@link ExchangeHook#onResponseHead}): the framed head, the body pieces read before reads stopped, and
 * whether the whole response is in. When the decision completes (on any thread) it hops back to the loop
 * and hands the result to {@link HttpExchange#onHoldDecided}, tagged with the exchange id it was made for,
 * so a decision that outlived its exchange is ignored there.
 *
 * <p>One per client connection, made at its first hold and reused after ({@link #NONE} stands in until
 * then, so a connection whose responses are never held allocates nothing for this). Loop-confined: every
 * method but the decision's callback runs on the client channel's event loop, and every field is written
 * there.
 */
final class HeldResponse {
    /** Holds nothing and never will: what a connection has before its first hold. Its methods but {@link #hold} are safe. */
    static final HeldResponse NONE = new HeldResponse(null, null);

    private final HttpExchange exchange;
    private final EventExecutor loop;
    /** Body pieces in arrival order; null in {@link #NONE}. */
    private final ArrayDeque<HttpContent> body;
    /** The held head, or null when nothing is held. */
    private HttpResponse head;
    private Backend backend;
    /** Whether the last body piece is in the queue. */
    private boolean complete;
    /** Whether the backend sent something past the response (its connection must not be reused). */
    private boolean overrun;

    HeldResponse(HttpExchange exchange, EventExecutor loop) {
        this.exchange = exchange;
        this.loop = loop;
        this.body = exchange == null ? null : new ArrayDeque<>(4);
    }

    /** Holds {@code resp} from {@code from} until {@code decision} completes; {@code exchangeId} tags the result. */
    void hold(HttpResponse resp, Backend from, CompletionStage<Refusal> decision, int exchangeId) {
        assert loop.inEventLoop();
        head = resp;
        backend = from;
        complete = false;
        overrun = false;
        decision.whenComplete((refusal, failure) -> decidedCrossThread(exchangeId, failure == null ? refusal : Refusal.failed(failure)));
    }

    /** Any thread: the decision completed; always a task of its own, so a decision made at once is no re-entrant call. */
    private void decidedCrossThread(int exchangeId, Refusal refusal) {
        try {
            loop.execute(() -> exchange.onHoldDecided(exchangeId, refusal));
        } catch (RejectedExecutionException e) {
            // the loop is shutting down: its channels close, and the exchange drops what is held
        }
    }

    boolean isHolding() {
        return head != null;
    }

    /** Whether the whole response is held (its last piece arrived). */
    boolean isComplete() {
        return complete;
    }

    /** Whether the backend's connection can't carry another exchange (it sent more than this response). */
    boolean overrun() {
        return overrun;
    }

    HttpResponse head() {
        return head;
    }

    Backend backend() {
        return backend;
    }

    /** Something more the backend sent while held: a body piece is queued; anything past the response is dropped. */
    void add(Object msg) {
        if (!complete && msg instanceof HttpContent c && !(msg instanceof HttpResponse)) {
            body.add(c);
            complete = c instanceof LastHttpContent;
        } else {
            overrun = true;
            ReferenceCountUtil.release(msg);
        }
    }

    /** Stops holding: the head ({@link #head()}, {@link #backend()}) and then {@link #next()} are the caller's to write. */
    void release() {
        head = null;
    }

    /** The next held body piece to write after {@link #release()}, or null when none is left. */
    HttpContent next() {
        return body.poll();
    }

    /** Lets go of what is held: the queued pieces are released, the head (which has no buffer) forgotten. */
    void drop() {
        if (head == null) {
            // nothing held (what was released is written already): and NONE, shared by all loops, is never written
            return;
        }
        head = null;
        backend = null;
        HttpContent c;
        while ((c = body.poll()) != null) {
            c.release();
        }
    }
}
