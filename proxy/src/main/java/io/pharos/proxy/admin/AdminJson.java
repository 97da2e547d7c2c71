package io.pharos.proxy.admin;

import io.pharos.health.HealthState;
import io.pharos.health.PharosVersion;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.cluster.ClusterSnapshot;
import io.pharos.proxy.cluster.MemberStatus;
import io.pharos.proxy.config.PharosConfig.Algorithm;
import io.pharos.proxy.config.ReloadResult;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static io.pharos.health.JsonText.quote;

/** The admin API's JSON documents, written by hand (no JSON library in the proxy). Any thread. */
final class AdminJson {
    private static final String[] CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};

    private AdminJson() {
    }

    static String status(AdminView rt) {
        StringBuilder sb = new StringBuilder("{\"version\":");
        quote(sb, PharosVersion.current());
        sb.append(",\"uptimeSeconds\":").append(Duration.between(rt.started(), Instant.now()).toSeconds());
        sb.append(",\"serving\":").append(rt.isServing());
        sb.append(",\"configFile\":");
        if (rt.configFile().isPresent()) {
            quote(sb, rt.configFile().get().toString());
        } else {
            sb.append("null");
        }
        sb.append(",\"reloads\":{\"ok\":").append(rt.reloadsOk()).append(",\"failed\":").append(rt.reloadsFailed()).append('}');
        sb.append(",\"lastReload\":");
        ReloadResult r = rt.lastReload();
        if (r == null) {
            sb.append("null");
        } else {
            reloadObject(sb, r);
        }
        sb.append(",\"listeners\":[");
        List<AdminView.Listener> ls = rt.listeners();
        for (int i = 0; i < ls.size(); i++) {
            AdminView.Listener l = ls.get(i);
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"name\":");
            quote(sb, l.name());
            sb.append(",\"protocol\":");
            quote(sb, l.protocol());
            sb.append(",\"address\":");
            quote(sb, l.address().getHostString() + ":" + l.address().getPort());
            sb.append(",\"cluster\":");
            quote(sb, l.cluster());
            sb.append(",\"activeConnections\":").append(l.activeConnections()).append('}');
        }
        return sb.append("]}").toString();
    }

    static String reload(ReloadResult r) {
        return reloadObject(new StringBuilder(), r).toString();
    }

    private static StringBuilder reloadObject(StringBuilder sb, ReloadResult r) {
        sb.append("{\"time\":");
        quote(sb, r.time().toString());
        sb.append(",\"result\":");
        quote(sb, r.ok() ? "ok" : "failed");
        sb.append(",\"errors\":");
        strings(sb, r.errors());
        sb.append(",\"notes\":");
        strings(sb, r.notes());
        return sb.append('}');
    }

    private static void strings(StringBuilder sb, List<String> list) {
        sb.append('[');
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            quote(sb, list.get(i));
        }
        sb.append(']');
    }

    static String clusters(List<ClusterSnapshot> clusters) {
        StringBuilder sb = new StringBuilder("{\"clusters\":[");
        boolean first = true;
        for (ClusterSnapshot c : clusters) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            clusterObject(sb, c);
        }
        return sb.append("]}").toString();
    }

    static String cluster(ClusterSnapshot c) {
        return clusterObject(new StringBuilder(), c).toString();
    }

    private static StringBuilder clusterObject(StringBuilder sb, ClusterSnapshot s) {
        sb.append("{\"name\":");
        quote(sb, s.name());
        sb.append(",\"balancer\":");
        quote(sb, s.config().balancer().algorithm().name().toLowerCase().replace('_', '-'));
        sb.append(",\"weights\":");
        quote(sb, weighting(s.config().balancer().algorithm()));
        sb.append(",\"usable\":").append(s.usableCount()).append(",\"backends\":[");
        List<ClusterMember> ms = s.members();
        for (int i = 0; i < ms.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            backendObject(sb, ms.get(i));
        }
        return sb.append("]}");
    }

    /** One backend of a cluster, or {@code {}} if it vanished meanwhile. */
    static String backend(ClusterSnapshot c, String name) {
        ClusterMember m = c == null ? null : c.member(name);
        return m == null ? "{}" : backendObject(new StringBuilder(), m).toString();
    }

    private static StringBuilder backendObject(StringBuilder sb, ClusterMember m) {
        Backend b = m.backend();
        sb.append("{\"name\":");
        quote(sb, b.name());
        sb.append(",\"address\":");
        quote(sb, b.address().toString());
        MemberStatus st = m.status();
        sb.append(",\"weight\":").append(m.weight());
        sb.append(",\"configWeight\":").append(st.configWeight());
        sb.append(",\"weightOverride\":");
        if (st.weightOverride().isPresent()) {
            sb.append(st.weightOverride().getAsInt());
        } else {
            sb.append("null");
        }
        sb.append(",\"state\":");
        quote(sb, state(m.state()));
        sb.append(",\"stateReason\":");
        quote(sb, st.reason());
        sb.append(",\"stateSince\":");
        quote(sb, Instant.ofEpochMilli(st.sinceMillis()).toString());
        sb.append(",\"lastCheck\":");
        Backend.CheckResult check = b.lastCheck();
        if (check == null) {
            sb.append("null");
        } else {
            sb.append("{\"ok\":").append(check.ok()).append(",\"result\":");
            quote(sb, check.result());
            sb.append(",\"at\":");
            quote(sb, Instant.ofEpochMilli(check.atMillis()).toString());
            sb.append('}');
        }
        sb.append(",\"ejections\":").append(b.stats().ejections());
        sb.append(",\"ejectionRemainingMillis\":");
        if (m.state() == HealthState.EJECTED && st.ejectedUntilMillis() > 0) {
            sb.append(Math.max(0, st.ejectedUntilMillis() - System.currentTimeMillis()));
        } else {
            sb.append("null");
        }
        sb.append(",\"inFlight\":").append(b.inFlight());
        sb.append(",\"requests\":").append(b.stats().requests());
        sb.append(",\"failures\":").append(b.stats().failures());
        sb.append(",\"connectionsOpened\":").append(b.stats().connectionsOpened());
        sb.append(",\"openConnections\":").append(b.connections().size());
        sb.append(",\"h2Streams\":").append(b.stats().h2Streams());
        sb.append(",\"bytesSent\":").append(b.stats().bytesSent());
        sb.append(",\"bytesReceived\":").append(b.stats().bytesReceived());
        sb.append(",\"responses\":{");
        for (int k = 1; k <= 5; k++) {
            if (k > 1) {
                sb.append(',');
            }
            sb.append('"').append(CLASSES[k - 1]).append("\":").append(b.stats().responses(k));
        }
        return sb.append("}}");
    }

    /** What the balancer does with weights, for {@code GET /clusters}: the operator's answer to "does PUT weight do anything?". */
    static String weighting(Algorithm a) {
        return switch (a) {
            case ROUND_ROBIN, WEIGHTED_ROUND_ROBIN -> "smooth weighted rotation: each backend's share of requests is proportional to its weight";
            case RANDOM -> "random draws in proportion to weight";
            case LEAST_REQUEST -> "two draws in proportion to weight, then the fewer in-flight requests per unit of weight";
            case PEAK_EWMA -> "two draws in proportion to weight, then the lower latency x load per unit of weight";
            case RING_HASH, MAGLEV -> "each backend owns a share of the hash space proportional to its weight (no slow start)";
        } + "; weight 0 takes no new traffic";
    }

    /** The contract's four states: a backend without a verdict yet takes traffic, so it shows healthy. */
    private static String state(HealthState s) {
        return s == HealthState.UNKNOWN ? "healthy" : s.wireName();
    }
}
