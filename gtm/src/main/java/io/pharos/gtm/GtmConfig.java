package io.pharos.gtm;

import io.pharos.health.config.HostPort;

import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The GTM sidecar's configuration (root key {@code gtm} in {@code conf/gtm.conf}), validated once by
 * {@link GtmConfigLoader}. Immutable.
 *
 * @param names             managed DNS names, absolute (ending with a dot)
 * @param recordTypes       which address RRsets are managed: {@code A}, {@code AAAA} or both
 * @param ttl               TTL of the published records
 * @param regions           regions in priority order (first = preferred)
 * @param interval          pause between the end of one probe of a region and the next
 * @param fastInterval      the same while a region is suspected (proxy said cluster down, or failures started)
 * @param timeout           per-probe timeout
 * @param failureThreshold  N: consecutive failed rounds before a region is down
 * @param recoveryThreshold M: consecutive good rounds before a region is up again (>= N)
 * @param minHold           least time an answer stays before an automatic failback
 * @param failback          failback policy
 * @param heartbeatStaleAfter a proxy heartbeat older than this makes its events "unknown"
 * @param dns               where and how to update
 * @param admin             the sidecar's admin endpoint
 */
public record GtmConfig(
        List<String> names,
        List<RecordType> recordTypes,
        Duration ttl,
        List<Region> regions,
        Duration interval,
        Duration fastInterval,
        Duration timeout,
        int failureThreshold,
        int recoveryThreshold,
        Duration minHold,
        Failback failback,
        Duration heartbeatStaleAfter,
        Dns dns,
        Admin admin) {

    public enum RecordType { A, AAAA }

    public enum Failback { AUTO, MANUAL }

    public enum ProbeType { HTTP, TCP }

    public enum TsigAlgorithm {
        HMAC_SHA1("hmac-sha1."), HMAC_SHA224("hmac-sha224."), HMAC_SHA256("hmac-sha256."),
        HMAC_SHA384("hmac-sha384."), HMAC_SHA512("hmac-sha512.");

        /** The algorithm's DNS name (RFC 8945). */
        public final String dnsName;

        TsigAlgorithm(String dnsName) {
            this.dnsName = dnsName;
        }
    }

    /**
     * One region.
     *
     * @param name       region name (also what the proxy writes as {@code events.region})
     * @param addresses  the addresses to publish while this region is active
     * @param probe      how the sidecar checks it
     * @param eventsFile the local proxy's event file, if the sidecar runs beside that proxy
     */
    public record Region(String name, List<InetAddress> addresses, Probe probe, Optional<Path> eventsFile) {
    }

    /**
     * A region probe: {@code http} GETs {@code url} (over TLS when it is {@code https://}) and expects
     * {@code expectStatus}; {@code tcp} connects to {@code address}.
     *
     * @param caFile PEM certificates an {@code https} probe trusts; empty: the JVM's trust store
     */
    public record Probe(ProbeType type, Optional<URI> url, List<Integer> expectStatus, Optional<HostPort> address,
                        Optional<Path> caFile) {
    }

    /**
     * @param servers authoritative servers to update and to confirm on (the first is the primary master)
     * @param zone    the zone, absolute
     * @param tsig    the TSIG key
     * @param timeout per-query timeout
     * @param retryInitial first retry delay (doubles up to {@code retryMax})
     * @param retryMax     largest retry delay
     */
    public record Dns(List<HostPort> servers, String zone, Tsig tsig, Duration timeout, Duration retryInitial,
                      Duration retryMax) {
    }

    /** A TSIG key. {@link #toString()} never shows the secret. */
    public record Tsig(String name, TsigAlgorithm algorithm, String secretBase64, String secretSource) {
        @Override
        public String toString() {
            return "Tsig[name=" + name + ", algorithm=" + algorithm.dnsName + ", secret=<from " + secretSource + ">]";
        }
    }

    /** The admin endpoint; a non-loopback listen address requires a token. {@link #toString()} hides it. */
    public record Admin(HostPort listen, Optional<String> token) {
        @Override
        public String toString() {
            return "Admin[listen=" + listen + ", token=" + (token.isPresent() ? "<set>" : "<none>") + "]";
        }
    }

    public Optional<Region> region(String name) {
        return regions.stream().filter(r -> r.name().equals(name)).findFirst();
    }
}
