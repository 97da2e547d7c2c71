package io.pharos.health.event;

import io.pharos.health.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HealthEventPublisherTest {
    private HealthEventPublisher publisher;

    @AfterEach
    void tearDown() {
        if (publisher != null) {
            publisher.close();
        }
    }

    static HealthEvent event(int i) {
        return new HealthEvent(1000L + i, HealthEvent.Kind.BACKEND_STATE, "primary", "app", "app-" + i,
                "healthy", "unhealthy", "timeout", 2, 3);
    }

    @Test
    void deliversEventsInOrderToEveryListenerOnThePublisherThread() throws Exception {
        publisher = HealthEventPublisher.start(64, "test-events");
        List<HealthEvent> first = new CopyOnWriteArrayList<>();
        List<HealthEvent> second = new CopyOnWriteArrayList<>();
        AtomicReference<String> threadName = new AtomicReference<>();
        publisher.addListener(e -> {
            threadName.set(Thread.currentThread().getName());
            first.add(e);
        });
        publisher.addListener(second::add);
        List<HealthEvent> sent = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sent.add(event(i));
            assertTrue(publisher.publish(event(i)));
        }
        Await.until(Duration.ofSeconds(20), "50 events at the second listener", () -> second.size() == 50);
        assertEquals(sent, first);
        assertEquals(sent, second);
        assertEquals("test-events", threadName.get());
        assertEquals(50, publisher.publishedCount());
        assertEquals(0, publisher.droppedCount());
        Await.until(Duration.ofSeconds(20), "delivered count", () -> publisher.deliveredCount() == 50);
    }

    @Test
    void fullQueueDropsAndCountsWithoutBlockingTheProducer() throws Exception {
        publisher = HealthEventPublisher.start(8, "test-events");
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<HealthEvent> seen = new CopyOnWriteArrayList<>();
        publisher.addListener(e -> {
            seen.add(e);
            if (e.timeMillis() == 1000L) {
                entered.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        assertTrue(publisher.publish(event(0)));
        assertTrue(entered.await(20, TimeUnit.SECONDS));
        // the consumer is stuck in a listener: exactly the capacity fits, the rest is dropped
        for (int i = 1; i <= 8; i++) {
            assertTrue(publisher.publish(event(i)), "event " + i);
        }
        for (int i = 9; i <= 13; i++) {
            assertFalse(publisher.publish(event(i)), "event " + i);
        }
        assertEquals(5, publisher.droppedCount());
        assertEquals(9, publisher.publishedCount());
        release.countDown();
        Await.until(Duration.ofSeconds(20), "9 delivered events", () -> seen.size() == 9);
        assertEquals(8, seen.get(8).timeMillis() - 1000L);
    }

    @Test
    void aThrowingListenerDoesNotStopDelivery() throws Exception {
        publisher = HealthEventPublisher.start(16, "test-events");
        List<HealthEvent> seen = new CopyOnWriteArrayList<>();
        publisher.addListener(e -> {
            throw new IllegalStateException("boom");
        });
        publisher.addListener(seen::add);
        publisher.publish(event(1));
        publisher.publish(event(2));
        Await.until(Duration.ofSeconds(20), "2 events despite a failing listener", () -> seen.size() == 2);
    }

    @Test
    void periodicTaskRunsRepeatedlyOnThePublisherThreadAndSurvivesExceptions() throws Exception {
        publisher = HealthEventPublisher.start(16, "test-events");
        AtomicInteger runs = new AtomicInteger();
        AtomicReference<String> threadName = new AtomicReference<>();
        publisher.schedulePeriodic(Duration.ofMillis(10), () -> {
            threadName.set(Thread.currentThread().getName());
            if (runs.incrementAndGet() == 2) {
                throw new IllegalStateException("boom");
            }
        });
        Await.until(Duration.ofSeconds(20), "5 periodic runs", () -> runs.get() >= 5);
        assertEquals("test-events", threadName.get());
        assertThrows(IllegalArgumentException.class, () -> publisher.schedulePeriodic(Duration.ZERO, () -> { }));
    }

    @Test
    void closeDeliversQueuedEventsThenRefusesNewOnes() {
        publisher = HealthEventPublisher.start(1024, "test-events");
        List<HealthEvent> seen = new CopyOnWriteArrayList<>();
        publisher.addListener(seen::add);
        for (int i = 0; i < 200; i++) {
            publisher.publish(event(i));
        }
        publisher.close();
        assertEquals(200, seen.size());
        assertFalse(publisher.publish(event(600)));
        assertEquals(1, publisher.droppedCount());
    }

    @Test
    void manyProducersLoseNothingWhenThereIsRoom() throws Exception {
        publisher = HealthEventPublisher.start(1 << 14, "test-events");
        AtomicInteger seen = new AtomicInteger();
        publisher.addListener(e -> seen.incrementAndGet());
        Thread[] producers = new Thread[4];
        for (int t = 0; t < producers.length; t++) {
            producers[t] = new Thread(() -> {
                for (int i = 0; i < 500; i++) {
                    publisher.publish(event(i));
                }
            });
            producers[t].start();
        }
        for (Thread p : producers) {
            p.join(TimeUnit.SECONDS.toMillis(30));
        }
        Await.until(Duration.ofSeconds(20), "2000 events", () -> seen.get() == 2000);
        assertEquals(0, publisher.droppedCount());
    }

    @Test
    void rejectsTooSmallCapacity() {
        assertThrows(IllegalArgumentException.class, () -> HealthEventPublisher.start(1, "x"));
    }
}
