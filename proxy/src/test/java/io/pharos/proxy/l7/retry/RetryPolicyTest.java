package io.pharos.proxy.l7.retry;

import io.netty.handler.codec.http.HttpMethod;
import io.pharos.proxy.config.PharosConfig.RetryConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RetryPolicyTest {
    private static final RetryConfig TWO = new RetryConfig(2, 20, 3, 64 * 1024);

    @Test
    void onlyIdempotentMethods() {
        for (HttpMethod m : new HttpMethod[] {HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.TRACE,
                HttpMethod.PUT, HttpMethod.DELETE}) {
            assertTrue(RetryPolicy.isIdempotent(m), m.name());
        }
        assertFalse(RetryPolicy.isIdempotent(HttpMethod.POST));
        assertFalse(RetryPolicy.isIdempotent(HttpMethod.PATCH));
        assertFalse(RetryPolicy.isIdempotent(HttpMethod.CONNECT));
    }

    @Test
    void gatewayStatusesOnly() {
        assertTrue(RetryPolicy.isRetriableStatus(502));
        assertTrue(RetryPolicy.isRetriableStatus(503));
        assertTrue(RetryPolicy.isRetriableStatus(504));
        assertFalse(RetryPolicy.isRetriableStatus(500));
        assertFalse(RetryPolicy.isRetriableStatus(501));
        assertFalse(RetryPolicy.isRetriableStatus(200));
    }

    @Test
    void retryNeedsIdempotenceReplayAndAttemptsLeft() {
        assertTrue(RetryPolicy.mayRetry(TWO, true, true, 1));
        assertFalse(RetryPolicy.mayRetry(TWO, true, true, 2), "attempts = 2 means one retry");
        assertFalse(RetryPolicy.mayRetry(TWO, false, true, 1), "not idempotent");
        assertFalse(RetryPolicy.mayRetry(TWO, true, false, 1), "body outgrew the replay buffer");
        assertFalse(RetryPolicy.mayRetry(new RetryConfig(1, 20, 3, 0), true, true, 1), "attempts = 1 means none");
    }

    @Test
    void aRetriableTryGetsItsShareOfTheRequestTimeout() {
        long second = 1_000_000_000L;
        assertEquals(second, RetryPolicy.tryTimeoutNanos(TWO, 2 * second, 2 * second, true));
        assertEquals(2 * second, RetryPolicy.tryTimeoutNanos(TWO, 2 * second, 2 * second, false));
        // the last try gets whatever is left, a retriable one no more than that
        assertEquals(second / 2, RetryPolicy.tryTimeoutNanos(TWO, 2 * second, second / 2, true));
        assertEquals(second / 2, RetryPolicy.tryTimeoutNanos(TWO, 2 * second, second / 2, false));
        assertEquals(1, RetryPolicy.tryTimeoutNanos(TWO, 2 * second, -5, false));
    }
}
