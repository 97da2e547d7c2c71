package io.pharos.proxy.config;

import io.pharos.health.config.ConfigReader;
import io.pharos.health.config.HostPort;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole proxy config, validated: built only by {@link ConfigLoader}, immutable afterwards.
 * The nested records mirror the HOCON tree under {@code pharos}; each key's default is in the loader
 * and in {@code conf/pharos.conf}.
 */
public record PharosConfig(
        Optional<Path> source,
        int workers,
        AdminConfig admin,
        Optional<EventsConfig> events,
        HttpConfig http,
        ShutdownConfig shutdown,
        AccessLogConfig accessLog,
        List<ListenerConfig> listeners,
        Map<String, ClusterConfig> clusters,
        Optional<ContinuityConfig> continuity) {

    /** {@code workers} resolved: 0 means the number of cores. */
    public int effectiveWorkers() {
        return workers > 0 ? workers : Runtime.getRuntime().availableProcessors();
    }

    public record AdminConfig(HostPort listen, Optional<String> token, Optional<Path> stateFile) {
        @Override
        public String toString() {
            return "AdminConfig[listen=" + listen + ", token=" + (token.isPresent() ? "(set)" : "(none)") + ", stateFile=" + stateFile + "]";
        }
    }

    public record EventsConfig(Path file, String region, int capacity) {
    }

    /**
     * Client-side HTTP limits, for every {@code protocol = http} listener.
     *
     * @param maxRequestLine    longest request line accepted (over: 414 and close)
     * @param maxHeaderSize     largest header block accepted (over: 431 and close)
     * @param headerReadTimeout time allowed to receive a whole request head once its first byte arrived (slow-loris)
     * @param idleTimeout       a client connection with no request in flight is closed after this
     */
    public record HttpConfig(int maxRequestLine, int maxHeaderSize, Duration headerReadTimeout, Duration idleTimeout) {
    }

    /** @param delay time between {@code /healthz} turning 503 and listeners closing; @param drainTimeout bound on in-flight work when the proxy or a listener drains */
    public record ShutdownConfig(Duration delay, Duration drainTimeout) {
        public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);
    }

    public record AccessLogConfig(boolean enabled, Optional<Path> file) {
    }

    public enum Protocol { HTTP, TCP }

    /** {@code splice}: TCP listeners relay with zero-copy {@code splice} where they can (epoll, plaintext both sides). */
    public record ListenerConfig(
            String name,
            HostPort listen,
            Protocol protocol,
            String cluster,
            Optional<TlsConfig> tls,
            boolean acceptProxyProtocol,
            boolean splice) {
    }

    /** Server-side TLS of a listener: a default certificate plus optional SNI-selected ones. */
    public record TlsConfig(
            Path certificate,
            Path key,
            List<SniCertificate> sni,
            Optional<Path> clientCa,
            List<String> protocols) {
    }

    public record SniCertificate(List<String> names, Path certificate, Path key) {
    }

    public enum Algorithm { ROUND_ROBIN, WEIGHTED_ROUND_ROBIN, RANDOM, LEAST_REQUEST, PEAK_EWMA, RING_HASH, MAGLEV }

    public record HashKey(Source source, String name) {
        public enum Source { HEADER, COOKIE, SOURCE_IP }

        public static HashKey parse(String text) {
            if (text.equals("source-ip")) {
                return new HashKey(Source.SOURCE_IP, "");
            }
            int colon = text.indexOf(':');
            if (colon > 0 && colon < text.length() - 1) {
                String kind = text.substring(0, colon);
                String name = text.substring(colon + 1);
                if (kind.equals("header")) {
                    return new HashKey(Source.HEADER, name);
                }
                if (kind.equals("cookie")) {
                    return new HashKey(Source.COOKIE, name);
                }
            }
            throw new IllegalArgumentException("bad hash-key '" + text + "' (expected header:NAME, cookie:NAME or source-ip)");
        }

        @Override
        public String toString() {
            return source == Source.SOURCE_IP ? "source-ip" : ConfigReader.wireName(source) + ":" + name;
        }
    }

    /**
     * How a cluster picks a backend.
     *
     * @param algorithm       config {@code balancer}
     * @param hashKey         config {@code hash-key}, required by ring-hash and maglev
     * @param choiceCount     P2C choices for least-request and peak-ewma ({@code choice-count})
     * @param ewmaDecay       peak-EWMA decay time ({@code ewma-decay})
     * @param minRingSize     ring-hash minimum ring size ({@code ring-size})
     * @param maglevTableSize maglev lookup table size, a prime ({@code table-size})
     * @param panicThreshold  percent of healthy backends under which all non-draining ones are used; 0 disables
     * @param slowStart       ramp-up window of a backend that became healthy or was added; 0 disables
     * @param slowStartFloor  share of the weight a backend starts its ramp with (0..1]
     */
    public record BalancerConfig(
            Algorithm algorithm,
            Optional<HashKey> hashKey,
            int choiceCount,
            Duration ewmaDecay,
            int minRingSize,
            int maglevTableSize,
            int panicThreshold,
            Duration slowStart,
            double slowStartFloor) {

        /** Whether {@code n} is prime: maglev table sizes must be (the loader checks, the balancer relies on it). */
        public static boolean isPrime(int n) {
            if (n < 2) {
                return false;
            }
            for (int d = 2; (long) d * d <= n; d++) {
                if (n % d == 0) {
                    return false;
                }
            }
            return true;
        }
    }

    public record BackendConfig(String name, HostPort address, int weight) {
    }

    public record StatusRange(int from, int to) {
        public boolean contains(int status) {
            return status >= from && status <= to;
        }

        @Override
        public String toString() {
            return from == to ? Integer.toString(from) : from + "-" + to;
        }
    }

    public enum CheckType { TCP, HTTP }

    public enum InitialState { OPTIMISTIC, PESSIMISTIC }

    /** Active checks ({@code health.active}); defaults follow HAProxy. */
    public record ActiveCheckConfig(
            CheckType type,
            String method,
            String path,
            Optional<String> host,
            List<StatusRange> expectStatus,
            Optional<String> expectBody,
            Duration interval,
            Duration fastInterval,
            Duration timeout,
            int rise,
            int fall,
            int port,
            double jitter,
            InitialState initialState) {
    }

    /** Passive checks / outlier detection ({@code health.passive}); defaults follow Envoy. */
    public record PassiveCheckConfig(
            int consecutiveFailures,
            int consecutive5xx,
            Duration baseEjectionTime,
            Duration maxEjectionTime,
            int maxEjectionPercent) {
    }

    public record HealthConfig(Optional<ActiveCheckConfig> active, Optional<PassiveCheckConfig> passive) {
    }

    /**
     * @param attempts      total tries of one request (1 = no retry)
     * @param budgetPercent retries allowed as a share of in-flight requests
     * @param minConcurrent retries always allowed concurrently, whatever the budget
     * @param replayBuffer  request body bytes kept for a replay; a body streamed past it is not retried
     */
    public record RetryConfig(int attempts, int budgetPercent, int minConcurrent, int replayBuffer) {
    }

    /** @param connect backend connect; @param request whole response head from the backend; @param idle no bytes either way */
    public record TimeoutConfig(Duration connect, Duration request, Duration idle) {
    }

    /** PROXY protocol header sent first on every backend connection ({@code proxy-protocol.send}). */
    public enum ProxyProtocolVersion { NONE, V1, V2 }

    /**
     * TLS to a cluster's backends ({@code upstream-tls}). The backend certificate is verified against
     * {@code caFile} (the JVM's trust store when absent) and must match {@code serverName}, which is also
     * sent as SNI (the backend's host when absent); {@code insecureSkipVerify} turns verification off.
     */
    public record UpstreamTlsConfig(Optional<Path> caFile, Optional<String> serverName, boolean insecureSkipVerify) {
    }

    /**
     * The protocol spoken to a cluster's backends ({@code protocol}): pooled HTTP/1.1 keep-alive
     * connections, or HTTP/2 with streams multiplexed over a few connections per event loop and backend
     * (h2c with prior knowledge, or {@code h2} chosen by ALPN with {@code upstream-tls}).
     */
    public enum UpstreamProtocol { HTTP1, H2 }

    public record ClusterConfig(
            String name,
            BalancerConfig balancer,
            List<BackendConfig> backends,
            HealthConfig health,
            RetryConfig retries,
            TimeoutConfig timeouts,
            ProxyProtocolVersion proxyProtocolSend,
            Optional<UpstreamTlsConfig> upstreamTls,
            UpstreamProtocol protocol,
            ClusterContinuity continuity) {
    }

    // ------------------------------------------------------------------ data continuity (docs/continuity.md)

    /**
     * This proxy's side of data continuity ({@code pharos.continuity}): its region's name, where the peer
     * region's proxy delivers journal records to it ({@code listen}, TLS and a bearer token or mTLS), where
     * it ships its own journal ({@code peer}), the journal, and how it applies what it receives.
     *
     * @param region the name of this region, stamped on every record ({@code events.region} by default)
     * @param token  the bearer token the peer must present on {@code listen}
     */
    public record ContinuityConfig(
            String region,
            Optional<HostPort> listen,
            Optional<String> token,
            Optional<TlsConfig> tls,
            Optional<PeerConfig> peer,
            JournalConfig journal,
            ApplyConfig apply) {
        @Override
        public String toString() {
            return "ContinuityConfig[region=" + region + ", listen=" + listen + ", token=" + (token.isPresent() ? "(set)" : "(none)")
                    + ", tls=" + tls + ", peer=" + peer + ", journal=" + journal + ", apply=" + apply + "]";
        }
    }

    /**
     * The peer region's continuity listener and how to reach it ({@code pharos.continuity.peer}).
     *
     * @param url            {@code https://host:port} or {@code http://host:port}
     * @param token          the bearer token presented to the peer
     * @param caFile         verifies the peer's certificate (the JVM's trust store when absent)
     * @param certificate    client certificate for mTLS, with {@code key}
     * @param batchRecords   most records in one shipment
     * @param batchBytes     most record bytes in one shipment
     */
    public record PeerConfig(
            URI url,
            Optional<String> token,
            Optional<Path> caFile,
            Optional<String> serverName,
            boolean insecureSkipVerify,
            Optional<Path> certificate,
            Optional<Path> key,
            int batchRecords,
            int batchBytes,
            Duration backoffMin,
            Duration backoffMax,
            Duration requestTimeout) {
        @Override
        public String toString() {
            return "PeerConfig[url=" + url + ", token=" + (token.isPresent() ? "(set)" : "(none)") + ", caFile=" + caFile
                    + ", serverName=" + serverName + ", insecureSkipVerify=" + insecureSkipVerify + ", certificate=" + certificate
                    + ", batchRecords=" + batchRecords + ", batchBytes=" + batchBytes + "]";
        }
    }

    /** The journal engine ({@code pharos.continuity.journal}); only {@code file} so far. */
    public record JournalConfig(String engine, Path dir, long segmentSize, long maxBytes, Duration maxAge, int queueCapacity) {
    }

    /** How records received from the peer are applied to this region's backends ({@code pharos.continuity.apply}). */
    public record ApplyConfig(int lanes, int maxInFlight, Duration backoffMin, Duration backoffMax) {
    }

    /**
     * Which writes of a cluster are replicated ({@code clusters.NAME.continuity}), and how.
     *
     * @param methods       request methods that are writes
     * @param paths         path prefixes that replicate; empty means every path
     * @param partitionKey  what orders applies at the peer (writes with one key apply in order)
     * @param maxBody       largest replicated body; a larger one gets 413
     * @param headers       request headers kept in the record and replayed (lower case); never others
     * @param syncTimeout   {@code sync.timeout}: how long a sync write waits for the peer
     * @param onPeerFailure {@code sync.on-peer-failure}
     * @param maxLag        async brake: beyond this age of the oldest unconfirmed record, replicated writes get 503; 0 = off
     */
    public record ClusterContinuity(
            ContinuityMode mode,
            List<String> methods,
            List<String> paths,
            PartitionKey partitionKey,
            long maxBody,
            List<String> headers,
            Duration syncTimeout,
            OnPeerFailure onPeerFailure,
            Duration maxLag) {
        public static final List<String> DEFAULT_METHODS = List.of("POST", "PUT", "PATCH", "DELETE");
        public static final List<String> DEFAULT_HEADERS = List.of("host", "content-type", "content-encoding", "content-language");
        public static final ClusterContinuity OFF = new ClusterContinuity(ContinuityMode.OFF, DEFAULT_METHODS, List.of(),
                PartitionKey.PATH, 1 << 20, DEFAULT_HEADERS, Duration.ofSeconds(2), OnPeerFailure.FAIL, Duration.ZERO);

        public boolean enabled() {
            return mode != ContinuityMode.OFF;
        }
    }

    public enum ContinuityMode { OFF, ASYNC, SYNC }

    /** What a sync write does when the peer did not acknowledge it in time: refuse it (503) or acknowledge it as async. */
    public enum OnPeerFailure { FAIL, DEGRADE }

    /** {@code path} (the request path without its query) or {@code header:NAME} (missing header: the path). */
    public record PartitionKey(Optional<String> header) {
        public static final PartitionKey PATH = new PartitionKey(Optional.empty());

        public static PartitionKey parse(String text) {
            if (text.equals("path")) {
                return PATH;
            }
            if (text.startsWith("header:") && text.length() > "header:".length()) {
                return new PartitionKey(Optional.of(text.substring("header:".length())));
            }
            throw new IllegalArgumentException("bad partition-key '" + text + "' (expected path or header:NAME)");
        }

        @Override
        public String toString() {
            return header.map(h -> "header:" + h).orElse("path");
        }
    }
}
