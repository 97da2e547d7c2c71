package io.pharos.proxy.continuity;

import io.pharos.health.JsonText;
import io.pharos.health.config.ConfigReader;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.continuity.ContinuityCounters.Refused;
import io.pharos.proxy.continuity.apply.ApplierStatus;
import io.pharos.proxy.continuity.journal.JournalStats;
import io.pharos.proxy.continuity.ship.ReceiverStatus;
import io.pharos.proxy.continuity.ship.ShipperStatus;

import java.util.Collection;

/** {@code GET /continuity}: a {@link ContinuityStatus} as JSON, written by hand like the rest of the admin API. Any thread. */
public final class ContinuityJson {
    private final StringBuilder sb = new StringBuilder(1024);
    private boolean first = true;

    private ContinuityJson() {
    }

    /** The document when continuity runs; {@code clusters} give the mode of each. */
    public static String render(ContinuityStatus s, Collection<ClusterConfig> clusters) {
        ContinuityJson j = new ContinuityJson();
        j.open();
        j.field("enabled", true);
        j.field("region", s.config().region());
        j.field("epoch", s.epoch());
        j.field("engine", s.config().journal().engine());
        j.field("takenAt", java.time.Instant.ofEpochMilli(s.takenMillis()).toString());
        j.name("clusters").sb.append('[');
        boolean firstCluster = true;
        for (ClusterConfig c : clusters) {
            if (!firstCluster) {
                j.sb.append(',');
            }
            firstCluster = false;
            j.first = true;
            j.open();
            j.field("name", c.name());
            j.field("mode", ConfigReader.wireName(c.continuity().mode()));
            j.close();
        }
        j.sb.append(']');
        j.first = false;
        journal(j.name("journal"), s.journal(), s.config().journal().dir().resolve("outbound").toString());
        j.name("writes").open();
        j.field("journaled", s.journaled());
        j.field("syncConfirmed", s.syncConfirmed());
        j.field("degraded", s.degraded());
        j.name("refused").open();
        for (Refused r : Refused.values()) {
            j.field(r.label(), s.refused().get(r));
        }
        j.close();
        j.field("lastError", s.lastError());
        j.close();
        j.name("outbound");
        ShipperStatus out = s.outbound();
        if (out == null) {
            j.sb.append("null");
            j.first = false;
        } else {
            j.open();
            j.field("peer", out.peer().toString());
            j.field("available", out.available());
            j.field("confirmed", out.confirmed());
            j.field("peerApplied", out.peerApplied());
            j.field("lagRecords", s.lagRecords());
            j.field("lagBytes", s.journal().unconfirmedBytes());
            j.field("lagSeconds", s.lagMillis() < 0 ? 0.0 : s.lagMillis() / 1000.0);
            j.field("sent", out.sent());
            j.field("batches", out.batchesShipped());
            j.field("recordsShipped", out.recordsShipped());
            j.field("bytesShipped", out.bytesShipped());
            j.field("rewinds", out.rewinds());
            j.field("errors", out.errors());
            j.field("backoffMillis", out.backoffMillis());
            j.field("lastError", out.lastError());
            j.close();
        }
        j.name("listen");
        ReceiverStatus rs = s.receiver();
        if (rs == null) {
            j.sb.append("null");
            j.first = false;
        } else {
            j.open();
            j.field("address", s.config().listen().map(Object::toString).orElse(null));
            j.field("port", rs.port());
            j.field("batches", rs.batches());
            j.field("records", rs.records());
            j.field("duplicates", rs.duplicates());
            j.name("refused").open();
            for (ReceiverStatus.Refusal r : ReceiverStatus.Refusal.values()) {
                j.field(r.name().toLowerCase(java.util.Locale.ROOT), rs.refusals().getOrDefault(r, 0L));
            }
            j.close();
            j.field("lastError", rs.lastError());
            j.close();
        }
        j.name("inbound").sb.append('[');
        boolean firstOrigin = true;
        for (ApplierStatus a : s.inbound()) {
            if (!firstOrigin) {
                j.sb.append(',');
            }
            firstOrigin = false;
            j.first = true;
            j.open();
            j.field("origin", a.origin());
            j.field("received", a.receivedSequence());
            j.field("applied", a.appliedSequence());
            j.field("pending", a.pending());
            j.field("appliedRecords", a.applied());
            j.field("alreadyApplied", a.alreadyApplied());
            j.field("retries", a.retries());
            j.field("lagRecords", a.lagRecords());
            j.field("lagSeconds", a.lagSeconds());
            j.name("stuck");
            if (a.stuck().isEmpty()) {
                j.sb.append("null");
                j.first = false;
            } else {
                ApplierStatus.Stuck st = a.stuck().get();
                j.open();
                j.field("seq", st.sequence());
                j.field("cluster", st.cluster());
                j.field("partitionKey", st.partitionKey());
                j.field("attempts", st.attempts());
                j.field("lastError", st.lastError());
                j.close();
            }
            j.field("lastError", a.readerError().orElse(null));
            j.close();
        }
        j.sb.append(']');
        j.first = false;
        j.close();
        return j.sb.toString();
    }

    /** The document when no continuity runs. */
    public static String disabled() {
        return "{\"enabled\":false}";
    }

    private static void journal(ContinuityJson j, JournalStats js, String dir) {
        j.open();
        j.field("dir", dir);
        j.field("bytes", js.bytes());
        j.field("segments", js.segments());
        j.field("records", js.records());
        j.field("first", js.firstSequence());
        j.field("last", js.lastSequence());
        j.field("durable", js.durableSequence());
        j.field("confirmed", js.confirmedSequence());
        j.field("unconfirmedBytes", js.unconfirmedBytes());
        j.field("appended", js.appended());
        j.field("fsyncs", js.forces());
        j.field("fsyncP99Micros", js.fsyncMicros().getTotalCount() == 0 ? 0 : js.fsyncMicros().getValueAtPercentile(99));
        j.close();
    }

    private ContinuityJson open() {
        sb.append('{');
        first = true;
        return this;
    }

    private void close() {
        sb.append('}');
        first = false;
    }

    private ContinuityJson name(String name) {
        if (!first) {
            sb.append(',');
        }
        JsonText.quote(sb, name).append(':');
        return this;
    }

    private void field(String name, Object value) {
        name(name);
        if (value == null) {
            sb.append("null");
        } else if (value instanceof String s) {
            JsonText.quote(sb, s);
        } else {
            sb.append(value);
        }
        first = false;
    }
}
