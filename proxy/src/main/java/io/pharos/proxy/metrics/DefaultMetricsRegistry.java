package io.pharos.proxy.metrics;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/** {@link MetricsRegistry} over a copy-on-write list of collectors; scraped on the admin thread. */
final class DefaultMetricsRegistry implements MetricsRegistry {
    private static final Pattern NAME = Pattern.compile("pharos_[a-z0-9_]*");

    private final List<Collector> collectors = new CopyOnWriteArrayList<>();

    @Override
    public void gauge(String name, String help, LongSupplier value) {
        checkName(name);
        register(out -> {
            out.family(name, "gauge", help);
            out.sample(name, value.getAsLong());
        });
    }

    @Override
    public void counter(String name, String help, LongSupplier value) {
        checkName(name);
        if (!name.endsWith("_total")) {
            throw new IllegalArgumentException("counter name: " + name + " (expected: ending in _total)");
        }
        register(out -> {
            out.family(name, "counter", help);
            out.sample(name, value.getAsLong());
        });
    }

    @Override
    public void register(Collector collector) {
        collectors.add(collector);
    }

    @Override
    public String scrape() {
        MetricsWriter out = new MetricsWriter();
        for (Collector c : collectors) {
            c.collect(out);
        }
        return out.text();
    }

    private static void checkName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("metric name: " + name + " (expected: pharos_[a-z0-9_]*)");
        }
    }
}
