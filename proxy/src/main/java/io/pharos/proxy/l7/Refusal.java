package io.pharos.proxy.l7;

import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.Objects;
import java.util.concurrent.CompletionException;

/**
 * An answer the proxy gives instead of the backend's, when an {@link ExchangeHook} refuses an exchange: a
 * plain-text error page with {@code status}, {@code reason} in its body, and {@code Retry-After} when
 * {@code retryAfterSeconds} is above 0. Immutable.
 *
 * @param status a 4xx or 5xx status
 * @param reason why, for the error page and the log
 * @param retryAfterSeconds the {@code Retry-After} header's seconds, or 0 for none
 */
public record Refusal(HttpResponseStatus status, String reason, int retryAfterSeconds) {
    public Refusal {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(reason, "reason");
        if (status.code() < 400 || status.code() > 599) {
            throw new IllegalArgumentException("status: " + status.code() + " (expected: 400-599)");
        }
        if (retryAfterSeconds < 0) {
            throw new IllegalArgumentException("retryAfterSeconds: " + retryAfterSeconds + " (expected: >= 0)");
        }
    }

    /** 503 Service Unavailable with {@code Retry-After} (a full or lagging journal, a peer that did not confirm). */
    public static Refusal unavailable(String reason, int retryAfterSeconds) {
        return new Refusal(HttpResponseStatus.SERVICE_UNAVAILABLE, reason, retryAfterSeconds);
    }

    /** 413 Content Too Large, no {@code Retry-After} (a body over a limit). */
    public static Refusal tooLarge(String reason) {
        return new Refusal(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, reason, 0);
    }

    /** What a decision that failed with {@code cause} is answered with: 503, {@code Retry-After: 1}. */
    static Refusal failed(Throwable cause) {
        Throwable c = cause instanceof CompletionException && cause.getCause() != null ? cause.getCause() : cause;
        return unavailable("hold decision failed: " + ErrorResponses.describe(c), 1);
    }
}
