package io.pharos.proxy.metrics;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.pharos.proxy.testing.PrometheusText;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exposition format: names, escaping, one HELP/TYPE per family, histograms merged from per-loop recorders. */
class MetricsRegistryTest {

    @Test
    void gaugesCountersAndCollectorsRenderAsValidExposition() {
        MetricsRegistry r = MetricsRegistry.create();
        long[] v = {3};
        r.gauge("pharos_things", "Things now", () -> v[0]);
        r.counter("pharos_events_dropped_total", "Events dropped\nwhen full \\ sad", () -> 42);
        r.register(out -> {
            out.family("pharos_labelled_total", "counter", "With labels");
            out.sample("pharos_labelled_total", 1, "a", "x\"y", "b", "back\\slash\nnewline");
            out.sample("pharos_labelled_total", 2, "a", "plain", "b", "");
        });
        String text = r.scrape();
        assertTrue(text.contains("# HELP pharos_events_dropped_total Events dropped\\nwhen full \\\\ sad\n"), text);
        assertTrue(text.contains("pharos_labelled_total{a=\"x\\\"y\",b=\"back\\\\slash\\nnewline\"} 1\n"), text);
        PrometheusText p = PrometheusText.parse(text);
        assertEquals(3.0, p.value("pharos_things"));
        assertEquals(42.0, p.value("pharos_events_dropped_total"));
        assertEquals(1.0, p.value("pharos_labelled_total", "a", "x\"y", "b", "back\\slash\nnewline"));
        v[0] = 9;
        assertEquals(9.0, PrometheusText.parse(r.scrape()).value("pharos_things"), "values are pulled at every scrape");
    }

    @Test
    void badNamesAndDuplicateFamiliesAreRefused() {
        MetricsRegistry r = MetricsRegistry.create();
        assertThrows(IllegalArgumentException.class, () -> r.gauge("things", "no prefix", () -> 1));
        assertThrows(IllegalArgumentException.class, () -> r.gauge("pharos_Bad-Name", "bad chars", () -> 1));
        assertThrows(IllegalArgumentException.class, () -> r.counter("pharos_events", "no _total", () -> 1));
        r.gauge("pharos_twice", "one", () -> 1);
        r.gauge("pharos_twice", "two", () -> 2);
        assertThrows(IllegalStateException.class, r::scrape);
    }

    @Test
    void latencyHistogramMergesEveryLoopsRecorderIntoCumulativeBuckets() throws Exception {
        EventLoop l1 = new DefaultEventLoop();
        EventLoop l2 = new DefaultEventLoop();
        try {
            LatencyHistogram h = new LatencyHistogram(List.of(l1, l2));
            // each loop records on its own thread (single-writer recorders); another thread uses the shared one
            l1.submit(() -> {
                for (int i = 0; i < 100; i++) {
                    h.sinkFor(l1).record(TimeUnit.MICROSECONDS.toNanos(500));
                }
            }).get();
            l2.submit(() -> {
                for (int i = 0; i < 10; i++) {
                    h.sinkFor(l2).record(TimeUnit.MILLISECONDS.toNanos(200));
                }
            }).get();
            h.sinkFor(new DefaultEventLoop()).record(TimeUnit.SECONDS.toNanos(20));
            h.sinkFor(l1).record(-5);

            MetricsRegistry r = MetricsRegistry.create();
            r.register(out -> {
                out.family("pharos_latency_seconds", "histogram", "test");
                h.writeSamples(out, "pharos_latency_seconds", "listener", "web");
            });
            PrometheusText p = PrometheusText.parse(r.scrape());
            assertEquals(101.0, p.value("pharos_latency_seconds_bucket", "listener", "web", "le", "0.001"));
            assertEquals(101.0, p.value("pharos_latency_seconds_bucket", "listener", "web", "le", "0.1"));
            assertEquals(111.0, p.value("pharos_latency_seconds_bucket", "listener", "web", "le", "0.25"));
            assertEquals(111.0, p.value("pharos_latency_seconds_bucket", "listener", "web", "le", "10.0"));
            assertEquals(112.0, p.value("pharos_latency_seconds_bucket", "listener", "web", "le", "+Inf"));
            assertEquals(112.0, p.value("pharos_latency_seconds_count", "listener", "web"));
            assertEquals(0.05 + 2.0 + 20.0, p.value("pharos_latency_seconds_sum", "listener", "web"), 1e-6);
            // a second scrape keeps the totals (cumulative) and adds only what came since
            l2.submit(() -> h.sinkFor(l2).record(TimeUnit.MILLISECONDS.toNanos(1))).get();
            PrometheusText q = PrometheusText.parse(r.scrape());
            assertEquals(113.0, q.value("pharos_latency_seconds_count", "listener", "web"));
        } finally {
            l1.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
            l2.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }
}
