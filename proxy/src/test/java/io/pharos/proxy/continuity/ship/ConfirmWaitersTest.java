package io.pharos.proxy.continuity.ship;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfirmWaitersTest {

    @Test
    void waitersCompleteInOrderAsTheWatermarkMoves() throws Exception {
        ConfirmWaiters w = new ConfirmWaiters();
        w.confirm(5);
        assertTrue(w.await(5).isDone(), "already confirmed: completed at once");
        List<CompletableFuture<Void>> fs = new ArrayList<>();
        for (long seq = 10; seq >= 6; seq--) {
            fs.add(0, w.await(seq));
            fs.add(0, w.await(seq));
        }
        w.confirm(7);
        for (int i = 0; i < fs.size(); i++) {
            assertEquals(i < 4, fs.get(i).isDone(), "waiter " + i);
        }
        assertEquals(6, w.size());
        w.confirm(6);
        assertEquals(6, w.size(), "a lower watermark changes nothing");
        w.confirm(10);
        assertEquals(0, w.size());
        assertTrue(fs.stream().allMatch(f -> f.isDone() && !f.isCompletedExceptionally()));
    }

    @Test
    void aWaiterThatTimedOutOrWasCancelledIsNoLongerReferenced() throws Exception {
        ConfirmWaiters w = new ConfirmWaiters();
        List<CompletableFuture<Void>> timed = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            timed.add(w.await(100 + i).orTimeout(1, TimeUnit.MILLISECONDS));
        }
        CompletableFuture<Void> cancelled = w.await(5000);
        CompletableFuture<Void> kept = w.await(50);
        cancelled.cancel(false);
        for (CompletableFuture<Void> f : timed) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
            assertInstanceOf(TimeoutException.class, e.getCause());
        }
        assertEquals(1, w.size(), "only the waiter nobody gave up on");
        w.confirm(50);
        assertTrue(kept.isDone());
        assertEquals(0, w.size());
    }

    @Test
    void closeFailsWaitersAndLaterAwaits() {
        ConfirmWaiters w = new ConfirmWaiters();
        w.confirm(3);
        CompletableFuture<Void> pending = w.await(4);
        w.close();
        assertTrue(pending.isCompletedExceptionally());
        assertTrue(w.await(9).isCompletedExceptionally());
        assertFalse(w.await(3).isCompletedExceptionally(), "what the peer holds stays confirmed");
        assertEquals(0, w.size());
    }
}
