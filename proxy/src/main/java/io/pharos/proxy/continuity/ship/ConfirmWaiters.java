package io.pharos.proxy.continuity.ship;

import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sync writes waiting for the peer to hold their record: futures sorted by sequence, completed in
 * order as the peer's durable watermark moves. A waiter its caller completed (a timeout through
 * {@code orTimeout}, a cancel) removes itself at once, so nothing that gave up stays referenced.
 *
 * <p>{@link #await} from any thread; {@link #confirm} and {@link #close} from the shipper thread (or
 * whoever closes); completions run the callers' callbacks on that thread.
 */
final class ConfirmWaiters {
    private final ConcurrentSkipListSet<Waiter> waiting = new ConcurrentSkipListSet<>();
    private final AtomicLong ids = new AtomicLong();
    /** The peer's durable watermark; raised by the shipper thread only. */
    private volatile long confirmed;
    /** Set once by {@link #close}. */
    private volatile boolean closed;

    /** One waiting sync write; ordered by sequence, then arrival. */
    private record Waiter(long sequence, long id, CompletableFuture<Void> future) implements Comparable<Waiter> {
        @Override
        public int compareTo(Waiter o) {
            int c = Long.compare(sequence, o.sequence);
            return c != 0 ? c : Long.compare(id, o.id);
        }
    }

    long confirmed() {
        return confirmed;
    }

    /**
     * A future that completes once the peer holds {@code sequence} durably (at once when it does already);
     * fails once this is closed. Any thread.
     */
    CompletableFuture<Void> await(long sequence) {
        if (sequence <= confirmed) {
            return CompletableFuture.completedFuture(null);
        }
        if (closed) {
            return CompletableFuture.failedFuture(closedException());
        }
        Waiter w = new Waiter(sequence, ids.incrementAndGet(), new CompletableFuture<>());
        waiting.add(w);
        w.future.whenComplete((v, e) -> {
            if (e != null) {
                waiting.remove(w);
            }
        });
        // the shipper may have raised the watermark (or closed) between the check and the add
        if (sequence <= confirmed) {
            waiting.remove(w);
            w.future.complete(null);
        } else if (closed) {
            waiting.remove(w);
            w.future.completeExceptionally(closedException());
        }
        return w.future;
    }

    /** The peer holds everything up to {@code upTo}: completes those waiters, oldest first. Shipper thread. */
    void confirm(long upTo) {
        if (upTo <= confirmed) {
            return;
        }
        confirmed = upTo;
        Iterator<Waiter> it = waiting.headSet(new Waiter(upTo, Long.MAX_VALUE, null), true).iterator();
        while (it.hasNext()) {
            Waiter w = it.next();
            it.remove();
            w.future.complete(null);
        }
    }

    /** Fails every waiter and every later {@link #await} of an unconfirmed sequence. */
    void close() {
        closed = true;
        for (Waiter w; (w = waiting.pollFirst()) != null; ) {
            w.future.completeExceptionally(closedException());
        }
    }

    /** Waiters still referenced (tests: none may leak). */
    int size() {
        return waiting.size();
    }

    private static IllegalStateException closedException() {
        return new IllegalStateException("the shipper to the peer region is closed");
    }
}
