package io.pharos.proxy.tls;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The log of a listener's failed TLS handshakes: one line per distinct cause per interval instead of a
 * stack trace per connection (a bad certificate or a scanner fails every handshake). The first failure
 * with a cause is logged at once; later ones with the same cause are counted, and the first one after the
 * interval logs one line with the count since the line before. A cause is the innermost exception's type
 * and message; at most {@link #MAX_CAUSES} are tracked per listener, the rest share one line.
 *
 * <p>Thread-safe: event loops call {@link #record} concurrently; it takes no lock and never blocks
 * except in the sink (a logger).
 */
final class HandshakeFailureLog {
    static final Duration INTERVAL = Duration.ofMinutes(1);
    static final int MAX_CAUSES = 32;
    private static final int MAX_REASON = 300;
    private static final String OTHER = "other causes (more than " + MAX_CAUSES + " distinct ones)";

    private final String listener;
    private final LongSupplier nanoClock;
    private final long intervalNanos;
    private final Consumer<String> sink;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    HandshakeFailureLog(String listener, LongSupplier nanoClock, Duration interval, Consumer<String> sink) {
        this.listener = listener;
        this.nanoClock = nanoClock;
        this.intervalNanos = interval.toNanos();
        this.sink = sink;
    }

    /** Records one failed handshake from {@code remote} (may be null). Event loop or any thread. */
    void record(SocketAddress remote, Throwable cause) {
        String reason = reason(cause);
        long now = nanoClock.getAsLong();
        Window w = windows.get(reason);
        if (w == null) {
            if (windows.size() >= MAX_CAUSES) {
                reason = OTHER;
            }
            Window mine = new Window(now);
            w = windows.putIfAbsent(reason, mine);
            if (w == null) {
                sink.accept(line(reason, remote, 0));
                return;
            }
        }
        long start = w.startNanos.get();
        if (now - start >= intervalNanos && w.startNanos.compareAndSet(start, now)) {
            sink.accept(line(reason, remote, w.suppressed.getAndSet(0)));
        } else {
            w.suppressed.incrementAndGet();
        }
    }

    private String line(String reason, SocketAddress remote, long suppressed) {
        return "listener " + listener + ": TLS handshake failed: " + reason
                + (remote == null ? "" : " (client " + remote + ")")
                + (suppressed > 0 ? "; " + suppressed + " more with this cause since the last line" : "")
                + "; the next ones with this cause are counted, one line per " + INTERVAL.toSeconds() + "s at most";
    }

    /** The innermost cause, as {@code Type: message}, cut to a bounded length. */
    static String reason(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        String s = c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
        return s.length() > MAX_REASON ? s.substring(0, MAX_REASON) + "..." : s;
    }

    /** The current interval of one cause: when it began (nanos) and how many failures it held back. */
    private static final class Window {
        final AtomicLong startNanos;
        final AtomicLong suppressed = new AtomicLong();

        Window(long startNanos) {
            this.startNanos = new AtomicLong(startNanos);
        }
    }
}
