package io.pharos.proxy.continuity;

import io.pharos.health.testing.Await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * A client of the key-value app through a proxy: write {@code i} (0 &le; i &lt; total) is
 * {@code POST /kv/k-i} with body {@code v-i} and {@code Idempotency-Key: w-i}, each key written once, from
 * {@code concurrency} threads. Records, per write, the status it got ({@link #NOT_SENT} when it was not
 * sent, {@link #IO_ERROR} when the connection failed before an answer). {@link #stop()} lets every
 * thread finish the write it is in and start no new one (the test calls it when it kills the region).
 *
 * <p>Owned by the test thread; the statuses are written by the sender threads.
 */
final class KeyedWrites implements AutoCloseable {
    static final int NOT_SENT = 0;
    static final int IO_ERROR = -1;

    private final URI base;
    private final AtomicIntegerArray status;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger acked = new AtomicInteger();
    private final List<Thread> threads = new ArrayList<>();
    private final HttpClient http;
    private volatile boolean stopped;

    KeyedWrites(URI base, int total, int concurrency) {
        this.base = base;
        this.status = new AtomicIntegerArray(total);
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        for (int t = 0; t < concurrency; t++) {
            threads.add(new Thread(this::sendLoop, "keyed-writes-" + t));
        }
    }

    static String key(int i) {
        return "k-" + i;
    }

    static String value(int i) {
        return "v-" + i;
    }

    static String idempotencyKey(int i) {
        return "w-" + i;
    }

    /** The write of key {@code k-i} ({@code -1} when {@code key} is not one of ours). */
    static int index(String key) {
        if (!key.startsWith("k-")) {
            return -1;
        }
        try {
            return Integer.parseInt(key.substring(2));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    void start() {
        threads.forEach(Thread::start);
    }

    private void sendLoop() {
        for (int i = next.getAndIncrement(); i < status.length() && !stopped; i = next.getAndIncrement()) {
            status.set(i, send(i));
            if (status.get(i) / 100 == 2) {
                acked.incrementAndGet();
            }
        }
    }

    /** Sends write {@code i} once; its status, or {@link #IO_ERROR}. */
    int send(int i) {
        HttpRequest r = HttpRequest.newBuilder(base.resolve("/kv/" + key(i))).timeout(Duration.ofSeconds(15))
                .header("Idempotency-Key", idempotencyKey(i)).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(value(i))).build();
        try {
            return http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (java.io.IOException e) {
            return IO_ERROR;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return IO_ERROR;
        }
    }

    /** Waits until {@code n} writes were acknowledged (or every write was answered); fails with {@code target}'s logs. */
    void awaitAcked(int n, Region target) throws InterruptedException {
        Await.until(Duration.ofSeconds(120), n + " acknowledged writes\n" + target.logs(), () -> ackedCount() >= n || finished());
    }

    int ackedCount() {
        return acked.get();
    }

    /** Whether every write was sent and answered (or failed). */
    boolean finished() {
        return threads.stream().noneMatch(Thread::isAlive);
    }

    /** No new write starts; returns at once. */
    void stop() {
        stopped = true;
    }

    /** Waits until every sender thread ended; fails after {@code timeout}. */
    void awaitEnd(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread t : threads) {
            t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            if (t.isAlive()) {
                throw new AssertionError(t.getName() + " still sending after " + timeout);
            }
        }
    }

    /** Writes answered with a 2xx, in order. Call after {@link #awaitEnd}. */
    TreeSet<Integer> acked() {
        TreeSet<Integer> out = new TreeSet<>();
        for (int i = 0; i < status.length(); i++) {
            if (status.get(i) / 100 == 2) {
                out.add(i);
            }
        }
        return out;
    }

    /** Writes sent that got no 2xx (an error status or a failed connection). Call after {@link #awaitEnd}. */
    TreeSet<Integer> unacknowledged() {
        TreeSet<Integer> out = new TreeSet<>();
        for (int i = 0; i < status.length(); i++) {
            int s = status.get(i);
            if (s != NOT_SENT && s / 100 != 2) {
                out.add(i);
            }
        }
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        stop();
        for (Thread t : threads) {
            t.join(30_000);
        }
        http.close();
    }
}
