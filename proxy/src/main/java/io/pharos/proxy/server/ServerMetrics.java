package io.pharos.proxy.server;

import io.pharos.health.HealthState;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.metrics.LatencyHistogram;
import io.pharos.proxy.metrics.ListenerMetrics;
import io.pharos.proxy.metrics.MetricsRegistry;
import io.pharos.proxy.metrics.MetricsWriter;

import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * The data plane's metric families: per listener (connections, bytes, responses by status class,
 * latency histogram) and per backend (requests, responses by class, in-flight, failures, connections,
 * bytes, response-time histogram, weight, state). Reads live counters and the current snapshots on the scraping thread.
 */
final class ServerMetrics implements MetricsRegistry.Collector {
    private static final String[] CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};

    private final PharosServer server;

    ServerMetrics(PharosServer server) {
        this.server = server;
    }

    @Override
    public void collect(MetricsWriter out) {
        Map<String, ListenerMetrics> listeners = server.listenerMetrics();
        out.family("pharos_listener_connections_total", "counter", "Client connections accepted");
        listeners.forEach((n, m) -> out.sample("pharos_listener_connections_total", m.connections(), "listener", n));
        out.family("pharos_listener_active_connections", "gauge", "Client connections open");
        listeners.forEach((n, m) -> out.sample("pharos_listener_active_connections", server.activeConnections(n), "listener", n));
        out.family("pharos_listener_received_bytes_total", "counter", "Bytes received from clients");
        listeners.forEach((n, m) -> out.sample("pharos_listener_received_bytes_total", m.bytesIn(), "listener", n));
        out.family("pharos_listener_sent_bytes_total", "counter", "Bytes sent to clients");
        listeners.forEach((n, m) -> out.sample("pharos_listener_sent_bytes_total", m.bytesOut(), "listener", n));
        out.family("pharos_http_responses_total", "counter", "HTTP responses sent to clients, by status class");
        listeners.forEach((n, m) -> {
            for (int c = 1; c <= 5; c++) {
                out.sample("pharos_http_responses_total", m.responses(c), "listener", n, "code", CLASSES[c - 1]);
            }
        });
        out.family("pharos_http_request_duration_seconds", "histogram", "Time from a request head's arrival to its response head");
        listeners.forEach((n, m) -> m.latency().writeSamples(out, "pharos_http_request_duration_seconds", "listener", n));

        Map<String, Cluster> clusters = server.clusters();
        backendCounter(out, clusters, "pharos_backend_requests_total", "Requests (HTTP) or connections (TCP) sent to the backend", b -> b.stats().requests());
        out.family("pharos_backend_responses_total", "counter", "HTTP responses from the backend, by status class");
        forEachMember(clusters, (c, m) -> {
            for (int k = 1; k <= 5; k++) {
                out.sample("pharos_backend_responses_total", m.backend().stats().responses(k),
                        "cluster", c, "backend", m.backend().name(), "code", CLASSES[k - 1]);
            }
        });
        backendGauge(out, clusters, "pharos_backend_in_flight", "Requests or connections in flight", m -> m.backend().inFlight());
        backendCounter(out, clusters, "pharos_backend_failures_total", "Connect failures, resets, timeouts and bad responses", b -> b.stats().failures());
        backendCounter(out, clusters, "pharos_backend_connections_opened_total", "Connections opened to the backend", b -> b.stats().connectionsOpened());
        backendCounter(out, clusters, "pharos_backend_sent_bytes_total", "Bytes sent to the backend on the wire (HTTP: headers, framing and TLS included; TCP: the relayed stream)", b -> b.stats().bytesSent());
        backendCounter(out, clusters, "pharos_backend_received_bytes_total", "Bytes received from the backend on the wire (HTTP: headers, framing and TLS included; TCP: the relayed stream)", b -> b.stats().bytesReceived());
        backendCounter(out, clusters, "pharos_backend_retries_total", "Requests (HTTP) or connections (TCP) tried here after failing on another backend", b -> b.stats().retries());
        backendCounter(out, clusters, "pharos_backend_h2_streams_total", "HTTP/2 streams opened to this backend (clusters with protocol = h2)", b -> b.stats().h2Streams());
        backendCounter(out, clusters, "pharos_backend_ejections_total", "Times the backend was ejected (outlier detection)", b -> b.stats().ejections());
        out.family("pharos_backend_response_seconds", "histogram", "Time from a request sent to the backend to its response head (HTTP)");
        forEachMember(clusters, (c, m) -> LatencyHistogram.writeSamples(out, m.backend().stats().responseTime(), "pharos_backend_response_seconds",
                "cluster", c, "backend", m.backend().name()));
        backendGauge(out, clusters, "pharos_backend_weight", "Effective weight (operator override or config)", ClusterMember::weight);
        out.family("pharos_backend_state", "gauge", "1 for the backend's current state");
        forEachMember(clusters, (c, m) -> {
            for (HealthState s : HealthState.values()) {
                out.sample("pharos_backend_state", m.state() == s ? 1 : 0, "cluster", c, "backend", m.backend().name(), "state", s.wireName());
            }
        });
    }

    private interface MemberVisitor {
        void visit(String cluster, ClusterMember member);
    }

    private static void forEachMember(Map<String, Cluster> clusters, MemberVisitor v) {
        for (Cluster c : clusters.values()) {
            for (ClusterMember m : c.snapshot().members()) {
                v.visit(c.name(), m);
            }
        }
    }

    private static void backendCounter(MetricsWriter out, Map<String, Cluster> clusters, String name, String help, ToLongFunction<Backend> value) {
        out.family(name, "counter", help);
        forEachMember(clusters, (c, m) -> out.sample(name, value.applyAsLong(m.backend()), "cluster", c, "backend", m.backend().name()));
    }

    private static void backendGauge(MetricsWriter out, Map<String, Cluster> clusters, String name, String help, ToLongFunction<ClusterMember> value) {
        out.family(name, "gauge", help);
        forEachMember(clusters, (c, m) -> out.sample(name, value.applyAsLong(m), "cluster", c, "backend", m.backend().name()));
    }
}
