package io.pharos.proxy.metrics;

import io.pharos.proxy.cluster.BucketedLatency;
import io.pharos.proxy.testing.PrometheusText;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BucketedLatencyTest {

    private static PrometheusText scrape(BucketedLatency l) {
        MetricsWriter out = new MetricsWriter();
        out.family("t_seconds", "histogram", "test");
        LatencyHistogram.writeSamples(out, l, "t_seconds", "backend", "b");
        return PrometheusText.parse(out.text());
    }

    @Test
    void bucketsAreInclusiveUpperBoundsAndCumulative() {
        BucketedLatency l = new BucketedLatency();
        l.record(-5);                       // counts as 0
        l.record(1_000_000);                // exactly 1 ms: in le=0.001
        l.record(1_000_001);                // just above: le=0.0025
        l.record(30_000_000);               // 30 ms: le=0.05
        l.record(20_000_000_000L);          // 20 s: only +Inf
        PrometheusText m = scrape(l);
        assertEquals(2.0, m.value("t_seconds_bucket", "backend", "b", "le", "0.001"));
        assertEquals(3.0, m.value("t_seconds_bucket", "backend", "b", "le", "0.0025"));
        assertEquals(3.0, m.value("t_seconds_bucket", "backend", "b", "le", "0.025"));
        assertEquals(4.0, m.value("t_seconds_bucket", "backend", "b", "le", "0.05"));
        assertEquals(4.0, m.value("t_seconds_bucket", "backend", "b", "le", "10.0"));
        assertEquals(5.0, m.value("t_seconds_bucket", "backend", "b", "le", "+Inf"));
        assertEquals(5.0, m.value("t_seconds_count", "backend", "b"));
        assertEquals(20.032000001, m.value("t_seconds_sum", "backend", "b"), 1e-9);
    }

    @Test
    void emptyHistogramWritesZeros() {
        PrometheusText m = scrape(new BucketedLatency());
        assertEquals(0.0, m.value("t_seconds_bucket", "backend", "b", "le", "+Inf"));
        assertEquals(0.0, m.value("t_seconds_count", "backend", "b"));
        assertEquals(0.0, m.value("t_seconds_sum", "backend", "b"));
    }
}
