package io.pharos.proxy.l7.retry;

import io.netty.handler.codec.http.HttpMethod;
import io.pharos.health.passive.GatewayStatus;
import io.pharos.proxy.config.PharosConfig.RetryConfig;

/**
 * Which failed tries of an HTTP request are tried again on another backend. Stateless.
 *
 * <ul>
 *   <li>A connect failure: always (the request never reached a backend), on every other usable backend
 *       in turn; neither {@code attempts} nor the budget limit it, since it costs no backend any work.</li>
 *   <li>A reset before any response byte, a timeout waiting for the response head, or a 502/503/504: only
 *       for an idempotent method whose body (if any) fit the replay buffer, within {@code attempts} tries
 *       in all and within the retry budget.</li>
 * </ul>
 * A request never goes to the same backend twice (the picker excludes tried backends).
 */
public final class RetryPolicy {
    private RetryPolicy() {
    }

    /** RFC 9110 §9.2.2 idempotent methods. */
    public static boolean isIdempotent(HttpMethod method) {
        return HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method) || HttpMethod.OPTIONS.equals(method)
                || HttpMethod.TRACE.equals(method) || HttpMethod.PUT.equals(method) || HttpMethod.DELETE.equals(method);
    }

    /** Whether a response status is a gateway failure worth another backend ({@link GatewayStatus}). */
    public static boolean isRetriableStatus(int status) {
        return GatewayStatus.isGatewayFailure(status);
    }

    /**
     * Whether a failed try (not a connect failure) may be tried again, before asking the budget.
     *
     * @param triesSoFar tries made, the failed one included
     */
    public static boolean mayRetry(RetryConfig config, boolean idempotent, boolean replayable, int triesSoFar) {
        return idempotent && replayable && triesSoFar < config.attempts();
    }

    /**
     * The time one try may wait for the response head: the rest of the request timeout, except that a try
     * that could still be retried gets only {@code request / attempts}, so that its retry fits in the
     * request timeout too (a black-holed GET is retried, not answered 504).
     */
    public static long tryTimeoutNanos(RetryConfig config, long requestTimeoutNanos, long remainingNanos, boolean retriable) {
        long t = retriable ? Math.min(remainingNanos, requestTimeoutNanos / config.attempts()) : remainingNanos;
        return Math.max(1, t);
    }
}
