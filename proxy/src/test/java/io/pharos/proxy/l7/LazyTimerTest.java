package io.pharos.proxy.l7;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link LazyTimer} on {@link EmbeddedChannel}'s virtual clock. */
class LazyTimerTest {
    private final EmbeddedChannel ch = new EmbeddedChannel();
    private int expired;
    private final LazyTimer timer = new LazyTimer(ch.eventLoop(), () -> expired++);

    @AfterEach
    void tearDown() {
        ch.finishAndReleaseAll();
    }

    private void advanceMillis(long ms) {
        ch.advanceTimeBy(ms, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
    }

    @Test
    void firesOnceAtTheDeadline() {
        timer.arm(TimeUnit.SECONDS.toNanos(2));
        advanceMillis(1999);
        assertEquals(0, expired);
        assertTrue(timer.isArmed());
        advanceMillis(1);
        assertEquals(1, expired);
        assertFalse(timer.isArmed());
        advanceMillis(10_000);
        assertEquals(1, expired, "fires once");
    }

    @Test
    void disarmedDeadlineNeverFires() {
        timer.arm(TimeUnit.SECONDS.toNanos(2));
        timer.disarm();
        advanceMillis(5000);
        assertEquals(0, expired);
    }

    @Test
    void reArmingLaterWaitsOutTheNewDeadlineOnTheSameTimer() {
        timer.arm(TimeUnit.SECONDS.toNanos(2));
        advanceMillis(1500);
        timer.disarm();
        timer.arm(TimeUnit.SECONDS.toNanos(2));
        advanceMillis(1000);
        assertEquals(0, expired, "the first timer fired at 2 s and re-armed for the rest");
        advanceMillis(999);
        assertEquals(0, expired);
        advanceMillis(1);
        assertEquals(1, expired, "fires at 1.5 s + 2 s");
    }

    @Test
    void anEarlierDeadlineThanThePendingTimerIsStillKept() {
        timer.arm(TimeUnit.SECONDS.toNanos(10));
        timer.arm(TimeUnit.SECONDS.toNanos(1));
        advanceMillis(1000);
        assertEquals(1, expired);
        advanceMillis(20_000);
        assertEquals(1, expired);
    }

    @Test
    void stopCancelsThePendingTimer() {
        timer.arm(TimeUnit.SECONDS.toNanos(2));
        timer.stop();
        assertFalse(timer.isArmed());
        advanceMillis(5000);
        assertEquals(0, expired);
        timer.arm(TimeUnit.SECONDS.toNanos(1));
        advanceMillis(1000);
        assertEquals(1, expired, "usable again after stop");
    }
}
