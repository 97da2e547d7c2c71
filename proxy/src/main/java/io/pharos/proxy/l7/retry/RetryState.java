package io.pharos.proxy.l7.retry;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.util.concurrent.Ticker;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.ClusterSnapshot;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.config.PharosConfig.RetryConfig;
import io.pharos.proxy.cluster.PickContext;

import java.net.SocketAddress;

/**
 * The tries of one HTTP request (Envoy's {@code retry_state}): which backends it went to, the body kept
 * for a replay, the retry-budget slot it holds, and the request deadline all tries share. It decides
 * whether a failed try goes to another backend ({@link RetryPolicy}) and picks that backend; it never
 * picks one the request already tried.
 *
 * <p>One per client connection, reused for every request (nothing is allocated per request). Confined
 * to the client connection's event loop; times are read from the injected {@link Ticker} (the loop's,
 * so {@code EmbeddedChannel}'s virtual clock or a mock ticker drives it in tests).
 */
public final class RetryState {
    private final Ticker ticker;
    private final PickContext pick = new PickContext();
    private final ReplayBuffer replay = new ReplayBuffer();
    /** Written by {@link #begin}: the cluster's retry rules for this request. */
    private RetryConfig config;
    /** Written by {@link #begin}: the cluster's request timeout, shared by all tries. */
    private long requestTimeoutNanos;
    /** Written by {@link #firstTry} and {@link #nextTry}: tries made so far, connect failures included. */
    private int tries;
    /** Written by {@link #begin}. */
    private boolean idempotent;
    /** Written by {@link #nextTry} (taken) and {@link #end} (given back): the budget whose slot this request holds, or null. */
    private RetryBudget heldBudget;
    /** Written by {@link #tryTimeoutNanos}: whether {@link #deadlineNanos} is set (from when the first try's request was complete). */
    private boolean deadlineSet;
    /** Written by {@link #tryTimeoutNanos}: the end of the request timeout, on {@link #ticker}. */
    private long deadlineNanos;

    public RetryState(Ticker ticker) {
        this.ticker = ticker;
    }

    /** Starts a new request; ends the previous one (gives back its slot, drops its replay copies). */
    public void begin(ClusterConfig cluster, HttpMethod method, HttpHeaders headers, SocketAddress client) {
        end();
        config = cluster.retries();
        requestTimeoutNanos = cluster.timeouts().request().toNanos();
        replay.reset(config.replayBuffer());
        idempotent = RetryPolicy.isIdempotent(method);
        tries = 1;
        deadlineSet = false;
        pick.reset(headers, client);
    }

    /** The backend of the first try, or null when the cluster has none to offer. */
    public Backend firstTry(ClusterSnapshot snapshot) {
        Backend b = snapshot.loadBalancer().pick(pick);
        if (b != null) {
            pick.addTried(b);
        }
        return b;
    }

    /**
     * The backend for another try after a failed one, or null: a connect failure always qualifies (nothing
     * reached a backend), any other failure (reset, timeout, 502/503/504) only when {@link RetryPolicy}
     * allows it, the request deadline has not passed, and {@code budget} grants (or already granted) a slot.
     * Never a backend this request already tried.
     */
    public Backend nextTry(ClusterSnapshot snapshot, boolean connectFailure, RetryBudget budget) {
        if (tries >= PickContext.MAX_TRIES || (!connectFailure && !mayRetry(snapshot, budget))) {
            return null;
        }
        Backend next = snapshot.loadBalancer().pick(pick);
        if (next != null) {
            tries++;
            pick.addTried(next);
        }
        return next;
    }

    private boolean mayRetry(ClusterSnapshot snapshot, RetryBudget budget) {
        if (!RetryPolicy.mayRetry(config, idempotent, replay.isReplayable(), tries)
                || (deadlineSet && ticker.nanoTime() - deadlineNanos >= 0)) {
            return false;
        }
        if (heldBudget == null && budget.tryAcquire(snapshot)) {
            heldBudget = budget;
        }
        return heldBudget != null;
    }

    /**
     * How long the current try may wait for the response head, from now: the rest of the request
     * timeout, but only {@code request / attempts} while a retry could still follow. The first call of a
     * request starts its deadline.
     */
    public long tryTimeoutNanos(ClusterSnapshot snapshot) {
        long now = ticker.nanoTime();
        if (!deadlineSet) {
            deadlineSet = true;
            deadlineNanos = now + requestTimeoutNanos;
        }
        boolean retriable = RetryPolicy.mayRetry(config, idempotent, replay.isReplayable(), tries)
                && snapshot.usableCount() > pick.triedCount();
        return RetryPolicy.tryTimeoutNanos(config, requestTimeoutNanos, deadlineNanos - now, retriable);
    }

    /** The body sent so far (up to the replay limit), for a retry. */
    public ReplayBuffer replay() {
        return replay;
    }

    /** Tries of the current request so far. */
    public int tries() {
        return tries;
    }

    /** The request ends (or its response began and can no longer be retried): drops the replay copies and gives back the slot. */
    public void end() {
        replay.clear();
        if (heldBudget != null) {
            heldBudget.release();
            heldBudget = null;
        }
    }
}
