package io.pharos.proxy.metrics;

import java.util.function.LongSupplier;

/**
 * The proxy's metrics, rendered as Prometheus text exposition 0.0.4 by {@link #scrape()}. Values are
 * pulled when scraped: a registration gives a supplier (read on the scraping thread, so it must be
 * thread-safe and non-blocking) or a {@link Collector} that writes whole labelled families.
 *
 * <p>This is also the hook other parts use to publish their own numbers, e.g.
 * {@code registry.counter("pharos_health_events_dropped_total", "Health events dropped (queue full)", publisher::dropped)}.
 * Registration is thread-safe; every family name must be registered once.
 */
public interface MetricsRegistry {

    static MetricsRegistry create() {
        return new DefaultMetricsRegistry();
    }

    /** A value that goes up and down; {@code name} must match {@code pharos_[a-z0-9_]*}. */
    void gauge(String name, String help, LongSupplier value);

    /** A monotonic count; {@code name} must match {@code pharos_[a-z0-9_]*_total}. */
    void counter(String name, String help, LongSupplier value);

    /** Writes one or more whole metric families with labels at every scrape. */
    void register(Collector collector);

    /** The exposition text (version 0.0.4) of everything registered, in registration order. */
    String scrape();

    /** Writes whole families: one {@link MetricsWriter#family} call, then all of its samples. */
    @FunctionalInterface
    interface Collector {
        void collect(MetricsWriter out);
    }
}
