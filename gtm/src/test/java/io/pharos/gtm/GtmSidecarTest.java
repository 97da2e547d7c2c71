package io.pharos.gtm;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hand-back to the control thread from the DNS thread, probes and event readers, without a sidecar. */
class GtmSidecarTest {
    @Test
    void aTaskPostedAfterCloseIsDroppedNotThrown() {
        ExecutorService control = Executors.newSingleThreadExecutor();
        control.shutdownNow();
        AtomicBoolean ran = new AtomicBoolean();
        GtmSidecar.postToControl(control, "the outcome of a switch", () -> ran.set(true));
        assertFalse(ran.get(), "a closed sidecar runs nothing more");
    }

    @Test
    void aTaskPostedWhileRunningRuns() throws Exception {
        ExecutorService control = Executors.newSingleThreadExecutor();
        try {
            CountDownLatch ran = new CountDownLatch(1);
            GtmSidecar.postToControl(control, "the outcome of a switch", ran::countDown);
            assertTrue(ran.await(10, TimeUnit.SECONDS));
        } finally {
            control.shutdownNow();
        }
    }

    @Test
    void aRejectionByARunningExecutorIsNotHidden() throws Exception {
        ThreadPoolExecutor busy = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new SynchronousQueue<>());
        CountDownLatch release = new CountDownLatch(1);
        try {
            busy.execute(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertThrows(RejectedExecutionException.class, () -> GtmSidecar.postToControl(busy, "a probe result", () -> { }));
        } finally {
            release.countDown();
            busy.shutdownNow();
        }
    }
}
