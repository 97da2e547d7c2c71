package io.pharos.proxy.l7.retry;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.cluster.ClusterSnapshot;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The retry decisions of one request, on a mock ticker, against a real cluster snapshot and budget. */
class RetryStateTest {
    private final MockTicker ticker = Ticker.newMockTicker();
    private final RetryState state = new RetryState(ticker);
    private final RetryBudget budget = new RetryBudget();

    private ClusterSnapshot begin(HttpMethod method, String extra, String... backends) throws Exception {
        Cluster cluster = RetryTestClusters.cluster(extra, backends);
        ClusterSnapshot s = cluster.snapshot();
        state.begin(s.config(), method, new DefaultHttpHeaders(), null);
        return s;
    }

    @Test
    void aConnectFailureIsAlwaysRetriedOnAnUntriedBackend() throws Exception {
        ClusterSnapshot s = begin(HttpMethod.POST, "retries { attempts = 1, budget-percent = 0, min-concurrent = 0 }", "a", "b");
        Backend first = state.firstTry(s);
        assertNotNull(first);
        Backend second = state.nextTry(s, true, budget);
        assertNotNull(second, "a POST, attempts = 1, no budget: a connect failure still goes elsewhere");
        assertTrue(first != second, "another backend");
        assertEquals(2, state.tries());
        assertEquals(0, budget.active(), "connect failover takes no budget slot");
        assertNull(state.nextTry(s, true, budget), "both backends tried");
    }

    @Test
    void otherFailuresAreRetriedOnlyForIdempotentMethods() throws Exception {
        ClusterSnapshot s = begin(HttpMethod.POST, "", "a", "b");
        state.firstTry(s);
        assertNull(state.nextTry(s, false, budget), "a POST is not sent twice after a reset, timeout or 502");
        s = begin(HttpMethod.GET, "", "a", "b");
        state.firstTry(s);
        assertNotNull(state.nextTry(s, false, budget), "a GET is");
        assertEquals(1, budget.active(), "holding a budget slot");
        state.end();
        assertEquals(0, budget.active(), "given back when the request ends");
    }

    @Test
    void aBodyThatOutgrewTheReplayBufferIsNotRetried() throws Exception {
        ClusterSnapshot s = putAfterFirstTry("retries { replay-buffer = 4b }", 5);
        assertNull(state.nextTry(s, false, budget), "5 bytes sent, 4 kept at most: nothing to replay");
        assertNotNull(state.nextTry(s, true, budget), "a connect failure does not need the body: nothing reached a backend");
        state.end();
    }

    @Test
    void aReplayableBodyIsRetried() throws Exception {
        ClusterSnapshot s = putAfterFirstTry("retries { replay-buffer = 8b }", 5);
        assertNotNull(state.nextTry(s, false, budget));
        state.end();
    }

    @Test
    void attemptsLimitTheTriesInAll() throws Exception {
        ClusterSnapshot s = begin(HttpMethod.GET, "retries { attempts = 2 }", "a", "b", "c");
        state.firstTry(s);
        assertNotNull(state.nextTry(s, false, budget), "try 2 of 2");
        assertNull(state.nextTry(s, false, budget), "no third try though c is untried");
        assertNotNull(state.nextTry(s, true, budget), "but a connect failure still fails over");
        state.end();
    }

    @Test
    void anExhaustedBudgetStopsRetries() throws Exception {
        ClusterSnapshot s = begin(HttpMethod.GET, "retries { budget-percent = 0, min-concurrent = 1 }", "a", "b");
        assertTrue(budget.tryAcquire(s), "another request holds the only slot");
        state.firstTry(s);
        assertNull(state.nextTry(s, false, budget));
        budget.release();
        assertNotNull(state.nextTry(s, false, budget), "the slot is free again");
        state.end();
        assertEquals(0, budget.active());
    }

    @Test
    void eachTryMayWaitTheRequestTimeoutOverAttemptsWhileARetryCanFollow() throws Exception {
        ClusterSnapshot s = begin(HttpMethod.GET, "retries { attempts = 3 }, timeouts { request = 3s }", "a", "b", "c");
        state.firstTry(s);
        assertEquals(TimeUnit.SECONDS.toNanos(1), state.tryTimeoutNanos(s), "3 s / 3 attempts");
        ticker.advance(1, TimeUnit.SECONDS);
        assertNotNull(state.nextTry(s, false, budget));
        assertEquals(TimeUnit.SECONDS.toNanos(1), state.tryTimeoutNanos(s), "second try: 1 s of the 2 s left");
        ticker.advance(1, TimeUnit.SECONDS);
        assertNotNull(state.nextTry(s, false, budget));
        assertEquals(TimeUnit.SECONDS.toNanos(1), state.tryTimeoutNanos(s), "last try: the rest of the request timeout");
        state.end();
    }

    @Test
    void aTryThatCannotBeRetriedGetsTheWholeRequestTimeout() throws Exception {
        ClusterSnapshot s = begin(HttpMethod.POST, "retries { attempts = 3 }, timeouts { request = 3s }", "a", "b", "c");
        state.firstTry(s);
        assertEquals(TimeUnit.SECONDS.toNanos(3), state.tryTimeoutNanos(s));
        s = begin(HttpMethod.GET, "retries { attempts = 3 }, timeouts { request = 3s }", "a");
        state.firstTry(s);
        assertEquals(TimeUnit.SECONDS.toNanos(3), state.tryTimeoutNanos(s), "no untried backend left to retry on");
    }

    @Test
    void noRetryOnceTheRequestDeadlinePassed() throws Exception {
        ClusterSnapshot s = begin(HttpMethod.GET, "retries { attempts = 3 }, timeouts { request = 3s }", "a", "b", "c");
        state.firstTry(s);
        state.tryTimeoutNanos(s);
        ticker.advance(3, TimeUnit.SECONDS);
        assertNull(state.nextTry(s, false, budget), "the request timeout is spent");
        assertEquals(0, budget.active(), "and no slot was taken for nothing");
    }

    @Test
    void neverTheSameBackendTwice() throws Exception {
        ClusterSnapshot s = begin(HttpMethod.GET, "retries { attempts = 10, min-concurrent = 10 }", "a", "b", "c", "d");
        Set<Backend> seen = new HashSet<>();
        assertTrue(seen.add(state.firstTry(s)));
        for (int i = 0; i < 3; i++) {
            Backend next = state.nextTry(s, i % 2 == 0, budget);
            assertNotNull(next);
            assertTrue(seen.add(next), "try " + (i + 2) + " went to " + next.name() + " again");
        }
        assertNull(state.nextTry(s, true, budget), "all four tried");
        assertNull(state.nextTry(s, false, budget));
        assertEquals(4, state.tries());
        state.end();
    }

    /** A PUT over backends a and b under {@code clusterConfig}, its first try begun and {@code bodyBytes} of body sent. */
    private ClusterSnapshot putAfterFirstTry(String clusterConfig, int bodyBytes) throws Exception {
        ClusterSnapshot s = begin(HttpMethod.PUT, clusterConfig, "a", "b");
        state.firstTry(s);
        HttpContent piece = new DefaultHttpContent(Unpooled.copiedBuffer(new byte[bodyBytes]));
        state.replay().add(piece);
        piece.release();
        return s;
    }
}
