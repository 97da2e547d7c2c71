package io.pharos.proxy.continuity;

import io.pharos.proxy.continuity.ContinuityCounters.Refused;
import io.pharos.proxy.continuity.apply.ApplierStatus;
import io.pharos.proxy.continuity.journal.JournalStats;
import io.pharos.proxy.metrics.MetricsRegistry;
import io.pharos.proxy.metrics.MetricsWriter;
import org.HdrHistogram.Histogram;

import java.util.function.Supplier;

/**
 * The {@code pharos_continuity_*} metric families, from the published {@link ContinuityStatus} (nothing
 * when no continuity runs) plus the sync-wait histogram, which is recorded live. Scraping thread.
 */
public final class ContinuityMetrics implements MetricsRegistry.Collector {
    private final Supplier<ContinuityRuntime> runtime;

    /** @param runtime the running continuity, or null while none runs (reloads start and stop it) */
    public ContinuityMetrics(Supplier<ContinuityRuntime> runtime) {
        this.runtime = runtime;
    }

    @Override
    public void collect(MetricsWriter out) {
        ContinuityRuntime rt = runtime.get();
        ContinuityStatus s = rt == null ? null : rt.status();
        if (s == null) {
            return;
        }
        JournalStats j = s.journal();
        gauge(out, "pharos_continuity_journal_bytes", "Bytes of this region's journal segment files", j.bytes());
        gauge(out, "pharos_continuity_journal_sequence", "Last sequence this region's journal handed out", j.lastSequence());
        gauge(out, "pharos_continuity_confirmed_sequence", "Last sequence the peer region holds durably", j.confirmedSequence());
        counter(out, "pharos_continuity_records_appended_total", "Replicated writes journaled here", s.journaled());
        counter(out, "pharos_continuity_sync_confirmed_total", "Sync writes the peer acknowledged in time", s.syncConfirmed());
        counter(out, "pharos_continuity_degraded_total", "Sync writes acknowledged as async because the peer failed (on-peer-failure = degrade)", s.degraded());
        out.family("pharos_continuity_refused_total", "counter", "Replicated writes refused, by reason");
        for (Refused r : Refused.values()) {
            out.sample("pharos_continuity_refused_total", s.refused().get(r), "reason", r.label());
        }
        if (s.outbound() != null) {
            gauge(out, "pharos_continuity_peer_available", "1 while the peer region's proxy takes shipments", s.outbound().available() ? 1 : 0);
            counter(out, "pharos_continuity_records_shipped_total", "Records the peer region acknowledged", s.outbound().recordsShipped());
            counter(out, "pharos_continuity_shipped_bytes_total", "Record bytes the peer region acknowledged", s.outbound().bytesShipped());
            counter(out, "pharos_continuity_ship_errors_total", "Shipments that failed", s.outbound().errors());
            gauge(out, "pharos_continuity_lag_records", "Records journaled here the peer has not confirmed", s.lagRecords());
            gauge(out, "pharos_continuity_lag_bytes", "Bytes journaled here the peer has not confirmed", j.unconfirmedBytes());
            out.family("pharos_continuity_lag_seconds", "gauge", "Age of the oldest record the peer has not confirmed");
            out.sample("pharos_continuity_lag_seconds", s.lagMillis() < 0 ? 0.0 : s.lagMillis() / 1000.0);
        }
        out.family("pharos_continuity_records_applied_total", "counter", "Records of a peer region applied here, by origin");
        for (ApplierStatus a : s.inbound()) {
            out.sample("pharos_continuity_records_applied_total", a.applied(), "origin", a.origin());
        }
        out.family("pharos_continuity_applied_sequence", "gauge", "Applied watermark of a peer region's records, by origin");
        for (ApplierStatus a : s.inbound()) {
            out.sample("pharos_continuity_applied_sequence", a.appliedSequence(), "origin", a.origin());
        }
        out.family("pharos_continuity_apply_lag_seconds", "gauge", "Age of the oldest record of a peer region not applied here, by origin");
        for (ApplierStatus a : s.inbound()) {
            out.sample("pharos_continuity_apply_lag_seconds", a.lagSeconds(), "origin", a.origin());
        }
        out.family("pharos_continuity_apply_retries_total", "counter", "Replays that failed and were tried again, by origin");
        for (ApplierStatus a : s.inbound()) {
            out.sample("pharos_continuity_apply_retries_total", a.retries(), "origin", a.origin());
        }
        fsync(out, j.fsyncMicros());
        out.family("pharos_continuity_sync_wait_seconds", "histogram", "From journaling a sync write to the peer's acknowledgement");
        rt.syncWait().writeSamples(out, "pharos_continuity_sync_wait_seconds");
    }

    private static void fsync(MetricsWriter out, Histogram micros) {
        out.family("pharos_continuity_fsync_seconds", "summary", "Journal fsync latency since start");
        for (double q : new double[] {0.5, 0.9, 0.99, 0.999}) {
            double v = micros.getTotalCount() == 0 ? 0 : micros.getValueAtPercentile(q * 100) / 1e6;
            out.sample("pharos_continuity_fsync_seconds", v, "quantile", Double.toString(q));
        }
        out.sample("pharos_continuity_fsync_seconds_count", micros.getTotalCount());
    }

    private static void gauge(MetricsWriter out, String name, String help, long value) {
        out.family(name, "gauge", help).sample(name, value);
    }

    private static void counter(MetricsWriter out, String name, String help, long value) {
        out.family(name, "counter", help).sample(name, value);
    }
}
