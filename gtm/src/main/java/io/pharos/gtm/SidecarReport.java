package io.pharos.gtm;

import io.pharos.health.PharosVersion;
import io.pharos.health.config.ConfigReader;
import io.pharos.health.config.HostPort;
import io.pharos.health.event.ipc.EventRingReader;
import io.pharos.gtm.FailoverDecider.RegionState;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders the sidecar's state for the admin endpoint: the {@code /status} document and the
 * {@code /metrics} text. Reads the decider and the probe slots, so it runs on the sidecar's control
 * thread only.
 */
final class SidecarReport {
    private final GtmConfig config;
    private final FailoverDecider decider;
    private final DnsUpdater dns;
    private final Map<String, ProbeSlot> slots;
    private final Map<String, EventRingReader> readers;

    SidecarReport(GtmConfig config, FailoverDecider decider, DnsUpdater dns, Map<String, ProbeSlot> slots,
                  Map<String, EventRingReader> readers) {
        this.config = config;
        this.decider = decider;
        this.dns = dns;
        this.slots = slots;
        this.readers = readers;
    }

    /** The {@code /status} document. Control thread. */
    Map<String, Object> status(long now, long wall, long uptimeSeconds, List<DnsUpdater.Answer> answers,
                               List<HostPort> unconfirmed, long switches, long adoptions) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", PharosVersion.current());
        m.put("uptimeSeconds", uptimeSeconds);
        m.put("names", config.names());
        m.put("active", decider.active().orElse(null));
        m.put("epoch", decider.epoch());
        m.put("activeForMillis", decider.active().isPresent() ? now - decider.activeSinceMillis() : null);
        m.put("pending", decider.pending().orElse(null));
        m.put("failback", ConfigReader.wireName(config.failback()));
        List<String> alerts = alerts();
        m.put("alert", alerts.isEmpty() ? null : String.join("; ", alerts));
        m.put("hold", decider.hold().filter(h -> h.heldAt(now)).map(h -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("until", h.txt(now, wall));
            x.put("remainingMillis", h.untilFailback() ? null : h.untilMillis() - now);
            return x;
        }).orElse(null));
        m.put("lastDecision", decider.lastDecision().map(d -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("kind", d.kind().name().toLowerCase(Locale.ROOT));
            x.put("cause", d.cause().wireName());
            x.put("from", d.from());
            x.put("to", d.to());
            x.put("reason", d.reason());
            x.put("agoMillis", now - d.timeMillis());
            return x;
        }).orElse(null));
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("zone", config.dns().zone());
        d.put("servers", config.dns().servers().stream().map(HostPort::toString).toList());
        d.put("lastError", dns.lastError());
        d.put("updatesSent", dns.updatesSent());
        d.put("updateFailures", dns.updateFailures());
        d.put("switches", switches);
        d.put("adoptions", adoptions);
        d.put("unconfirmed", unconfirmed.stream().map(HostPort::toString).toList());
        List<Object> cs = new ArrayList<>();
        for (DnsUpdater.ServerCheck c : dns.serverChecks()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("server", c.server().toString());
            x.put("ok", c.ok());
            x.put("problem", c.problem());
            x.put("agoMillis", wall - c.atWallMillis());
            cs.add(x);
        }
        d.put("checks", cs);
        List<Object> as = new ArrayList<>();
        for (DnsUpdater.Answer a : answers) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("server", a.server().toString());
            x.put("addresses", a.addresses());
            x.put("state", a.state().map(DnsState::txt).orElse(null));
            x.put("error", a.error());
            as.add(x);
        }
        d.put("answers", as);
        m.put("dns", d);
        List<Object> rs = new ArrayList<>();
        for (RegionState r : decider.regions()) {
            Map<String, Object> x = new LinkedHashMap<>();
            ProbeSlot slot = slots.get(r.name);
            x.put("name", r.name);
            x.put("priority", r.priority);
            x.put("status", r.status.name().toLowerCase(Locale.ROOT));
            x.put("consecutiveFailures", r.consecutiveFailures);
            x.put("consecutiveSuccesses", r.consecutiveSuccesses);
            x.put("lastReason", r.lastReason);
            x.put("probes", slot.probes);
            x.put("probeFailures", slot.failures);
            x.put("history", new ArrayList<>(r.history));
            EventRingReader reader = readers.get(r.name);
            if (reader != null) {
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("view", r.proxyView.name().toLowerCase(Locale.ROOT));
                p.put("eventsFile", reader.path().toString());
                p.put("attached", reader.attached());
                p.put("heartbeatAgeMillis", reader.heartbeatAgeMillis(wall));
                p.put("eventsRead", reader.eventsRead());
                p.put("droppedEvents", reader.droppedEvents());
                p.put("clustersDown", new ArrayList<>(slot.clustersDown));
                x.put("proxy", p);
            }
            rs.add(x);
        }
        m.put("regions", rs);
        return m;
    }

    /**
     * What is wrong now, worst first: every region down, then each DNS server whose last signed exchange
     * (key check or update) failed. Control thread.
     */
    List<String> alerts() {
        List<String> alerts = new ArrayList<>();
        decider.alert().ifPresent(alerts::add);
        for (DnsUpdater.ServerCheck c : dns.serverChecks()) {
            if (!c.ok()) {
                alerts.add("DNS server " + c.server() + " failing: " + c.problem());
            }
        }
        return alerts;
    }

    /**
     * The {@code /healthz} answer: ok while every DNS server answered its last signed exchange with the
     * key (the sidecar can switch), else each failing server. Control thread.
     */
    AdminActions.Health health() {
        List<DnsUpdater.ServerCheck> checks = dns.serverChecks();
        if (checks.size() < config.dns().servers().size()) {
            return new AdminActions.Health(false, "DNS servers not checked yet\n");
        }
        StringBuilder sb = new StringBuilder();
        checks.stream().filter(c -> !c.ok()).forEach(c -> sb.append(c.server()).append(": ").append(c.problem()).append('\n'));
        return sb.isEmpty() ? new AdminActions.Health(true, "ok\n") : new AdminActions.Health(false, sb.toString());
    }

    /** The {@code /metrics} Prometheus text exposition. Control thread. */
    String metrics(long wall, long switches, long adoptions) {
        StringBuilder sb = new StringBuilder(1024);
        gauge(sb, "pharos_gtm_dns_epoch", "Epoch of the state record the sidecar follows.", decider.epoch());
        sb.append("# HELP pharos_gtm_active_region 1 for the region DNS points at.\n# TYPE pharos_gtm_active_region gauge\n");
        for (RegionState r : decider.regions()) {
            sb.append("pharos_gtm_active_region{region=\"").append(r.name).append("\"} ")
                    .append(decider.active().filter(r.name::equals).isPresent() ? 1 : 0).append('\n');
        }
        sb.append("# HELP pharos_gtm_region_up 1 when the sidecar's probes say the region is up.\n# TYPE pharos_gtm_region_up gauge\n");
        for (RegionState r : decider.regions()) {
            sb.append("pharos_gtm_region_up{region=\"").append(r.name).append("\"} ")
                    .append(r.status == FailoverDecider.Status.UP ? 1 : 0).append('\n');
        }
        sb.append("# HELP pharos_gtm_probes_total Probe rounds.\n# TYPE pharos_gtm_probes_total counter\n");
        slots.forEach((n, s) -> sb.append("pharos_gtm_probes_total{region=\"").append(n).append("\"} ").append(s.probes).append('\n'));
        sb.append("# HELP pharos_gtm_probe_failures_total Failed probe rounds.\n# TYPE pharos_gtm_probe_failures_total counter\n");
        slots.forEach((n, s) -> sb.append("pharos_gtm_probe_failures_total{region=\"").append(n).append("\"} ").append(s.failures).append('\n'));
        gauge(sb, "pharos_gtm_alert", "1 while /status shows an alert: every region down, or a DNS server failing its key check or updates.",
                alerts().isEmpty() ? 0 : 1);
        sb.append("# HELP pharos_gtm_dns_server_ok 1 when the server's last signed exchange (key check or update) passed, 0 when it failed or none yet.\n")
                .append("# TYPE pharos_gtm_dns_server_ok gauge\n");
        for (HostPort server : config.dns().servers()) {
            boolean ok = dns.serverChecks().stream().anyMatch(c -> c.server().equals(server) && c.ok());
            sb.append("pharos_gtm_dns_server_ok{server=\"").append(server).append("\"} ").append(ok ? 1 : 0).append('\n');
        }
        counter(sb, "pharos_gtm_switches_total", "Switches this sidecar wrote to DNS.", switches);
        counter(sb, "pharos_gtm_adoptions_total", "Switches made elsewhere that this sidecar adopted.", adoptions);
        counter(sb, "pharos_gtm_dns_updates_total", "DNS UPDATE messages sent.", dns.updatesSent());
        counter(sb, "pharos_gtm_dns_update_failures_total",
                "DNS UPDATE messages that failed (switches, retried, and the no-op key check at start).", dns.updateFailures());
        if (!readers.isEmpty()) {
            sb.append("# HELP pharos_gtm_proxy_heartbeat_age_seconds Age of the local proxy's heartbeat (-1: none).\n")
                    .append("# TYPE pharos_gtm_proxy_heartbeat_age_seconds gauge\n");
            readers.forEach((n, r) -> {
                long age = r.heartbeatAgeMillis(wall);
                sb.append("pharos_gtm_proxy_heartbeat_age_seconds{region=\"").append(n).append("\"} ")
                        .append(age < 0 ? "-1" : String.valueOf(age / 1000.0)).append('\n');
            });
            sb.append("# HELP pharos_gtm_proxy_events_read_total Health events read from the proxy.\n")
                    .append("# TYPE pharos_gtm_proxy_events_read_total counter\n");
            readers.forEach((n, r) -> sb.append("pharos_gtm_proxy_events_read_total{region=\"").append(n).append("\"} ")
                    .append(r.eventsRead()).append('\n'));
            sb.append("# HELP pharos_gtm_proxy_events_dropped_total Events the proxy dropped because the ring was full.\n")
                    .append("# TYPE pharos_gtm_proxy_events_dropped_total counter\n");
            readers.forEach((n, r) -> sb.append("pharos_gtm_proxy_events_dropped_total{region=\"").append(n).append("\"} ")
                    .append(r.droppedEvents()).append('\n'));
        }
        return sb.toString();
    }

    private static void gauge(StringBuilder sb, String name, String help, long v) {
        sb.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n")
                .append(name).append(' ').append(v).append('\n');
    }

    private static void counter(StringBuilder sb, String name, String help, long v) {
        sb.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n")
                .append(name).append(' ').append(v).append('\n');
    }
}
