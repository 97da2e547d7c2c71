package io.pharos.proxy.config;

import io.pharos.health.config.ConfigReader;
import io.pharos.health.config.HostPort;
import io.pharos.proxy.config.PharosConfig.ApplyConfig;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.config.PharosConfig.ClusterContinuity;
import io.pharos.proxy.config.PharosConfig.ContinuityConfig;
import io.pharos.proxy.config.PharosConfig.ContinuityMode;
import io.pharos.proxy.config.PharosConfig.JournalConfig;
import io.pharos.proxy.config.PharosConfig.OnPeerFailure;
import io.pharos.proxy.config.PharosConfig.PartitionKey;
import io.pharos.proxy.config.PharosConfig.PeerConfig;
import io.pharos.proxy.config.PharosConfig.TlsConfig;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.regex.Pattern;

/**
 * Reads {@code pharos.continuity} and each {@code clusters.NAME.continuity} for {@link ConfigLoader}, and
 * checks them against each other. Stateless.
 */
final class ContinuityConfigReader {
    /** A region name ends up in file names (the inbound journal of a region) and in headers. */
    static final Pattern REGION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern TOKEN_CHARS = Pattern.compile("[\\x21-\\x7e]+");
    private static final Pattern METHOD = Pattern.compile("[A-Z]{1,20}");
    private static final Pattern HEADER = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}");

    private ContinuityConfigReader() {
    }

    /** {@code pharos.continuity}; {@code tls} reads a server TLS block as the listeners do. */
    static ContinuityConfig continuity(ConfigReader r, Path base, String defaultRegion,
                                       BiFunction<ConfigReader, Path, TlsConfig> tls) {
        String region = r.string("region", defaultRegion);
        if (!REGION.matcher(region).matches()) {
            r.problem("region", "bad region name '" + region + "' (letters, digits, '-', '_', '.'; at most 64)");
        }
        Optional<HostPort> listen = r.address("listen", false);
        Optional<String> token = token(r, "token");
        Optional<TlsConfig> serverTls = r.has("tls") ? Optional.of(tls.apply(r.object("tls"), base)) : Optional.empty();
        if (listen.isPresent() && token.isEmpty() && serverTls.flatMap(TlsConfig::clientCa).isEmpty()) {
            r.problem("token", "required when listen is set, unless tls.client-ca authenticates the peer (mTLS)");
        }
        if (!listen.isPresent() && (r.has("tls") || r.has("token"))) {
            r.problem("listen", "missing (token and tls describe the listener the peer delivers to)");
        }
        Optional<PeerConfig> peer = r.has("peer") ? Optional.ofNullable(peer(r.object("peer"), base)) : Optional.empty();
        JournalConfig journal = journal(r.object("journal"), base);
        ApplyConfig apply = apply(r.object("apply"));
        r.finish();
        return new ContinuityConfig(region, listen, token, serverTls, peer, journal, apply);
    }

    private static Optional<String> token(ConfigReader r, String key) {
        Optional<String> token = r.optionalString(key).filter(t -> !t.isEmpty());
        token.ifPresent(t -> {
            if (t.length() < 16) {
                r.problem(key, "too short (at least 16 characters)");
            } else if (!TOKEN_CHARS.matcher(t).matches()) {
                r.problem(key, "only visible ASCII characters (it travels in an Authorization header)");
            }
        });
        return token;
    }

    private static PeerConfig peer(ConfigReader r, Path base) {
        String text = r.requiredString("url");
        URI url = null;
        if (text != null) {
            try {
                url = new URI(text);
                String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
                if (!scheme.equals("http") && !scheme.equals("https")) {
                    r.problem("url", "'" + text + "' is not an http:// or https:// URL");
                    url = null;
                } else if (url.getHost() == null || url.getPort() <= 0) {
                    r.problem("url", "'" + text + "' needs a host and a port (e.g. https://peer.example:9443)");
                    url = null;
                }
            } catch (URISyntaxException e) {
                r.problem("url", "'" + text + "' is not a URL: " + e.getMessage());
            }
        }
        Optional<String> token = token(r, "token");
        Optional<Path> ca = optionalFile(r, "ca-file", base);
        Optional<String> serverName = r.optionalString("server-name").filter(s -> !s.isEmpty());
        boolean insecure = r.bool("insecure-skip-verify", false);
        if (insecure && ca.isPresent()) {
            r.problem("insecure-skip-verify", "contradicts ca-file (verification is either on or off)");
        }
        Optional<Path> cert = optionalFile(r, "certificate", base);
        Optional<Path> key = optionalFile(r, "key", base);
        if (cert.isPresent() != key.isPresent()) {
            r.problem(cert.isPresent() ? "key" : "certificate", "certificate and key go together (the client certificate for mTLS)");
        }
        if (token.isEmpty() && cert.isEmpty()) {
            r.problem("token", "required unless a client certificate (mTLS) authenticates this proxy to the peer");
        }
        int batchRecords = r.integer("batch-records", 512, 1, 100_000);
        int batchBytes = (int) r.bytes("batch-bytes", 4L << 20, 64 * 1024, 256L << 20);
        Duration backoffMin = r.duration("backoff-min", Duration.ofMillis(100), false);
        Duration backoffMax = r.duration("backoff-max", Duration.ofSeconds(5), false);
        if (backoffMax.compareTo(backoffMin) < 0) {
            r.problem("backoff-max", "must be >= backoff-min");
        }
        Duration requestTimeout = r.duration("request-timeout", Duration.ofSeconds(10), false);
        r.finish();
        return url == null ? null : new PeerConfig(url, token, ca, serverName, insecure, cert, key, batchRecords, batchBytes,
                backoffMin, backoffMax, requestTimeout);
    }

    private static Optional<Path> optionalFile(ConfigReader r, String key, Path base) {
        Optional<Path> p = r.optionalString(key).filter(s -> !s.isEmpty()).map(base::resolve);
        p.filter(f -> !java.nio.file.Files.isReadable(f)).ifPresent(f -> r.problem(key, "file " + f + " not found or not readable"));
        return p;
    }

    private static JournalConfig journal(ConfigReader r, Path base) {
        String engine = r.string("engine", "file");
        if (!engine.equals("file")) {
            r.problem("engine", "unknown engine '" + engine + "' (expected file)");
        }
        String dir = r.requiredString("dir");
        long segmentSize = r.bytes("segment-size", 64L << 20, 4096, 1L << 30);
        long maxBytes = r.bytes("max-bytes", 1L << 30, 4096, 1L << 50);
        if (maxBytes < segmentSize) {
            r.problem("max-bytes", maxBytes + " is below segment-size " + segmentSize);
        }
        Duration maxAge = r.duration("max-age", Duration.ofDays(7), false);
        int queue = r.integer("queue-capacity", 16 * 1024, 2, 1 << 24);
        r.finish();
        return new JournalConfig(engine, dir == null ? base.resolve("journal") : base.resolve(dir), segmentSize, maxBytes, maxAge, queue);
    }

    private static ApplyConfig apply(ConfigReader r) {
        int lanes = r.integer("lanes", 8, 1, 256);
        int maxInFlight = r.integer("max-in-flight", 1024, 1, 1 << 20);
        Duration backoffMin = r.duration("backoff-min", Duration.ofMillis(100), false);
        Duration backoffMax = r.duration("backoff-max", Duration.ofSeconds(10), false);
        if (backoffMax.compareTo(backoffMin) < 0) {
            r.problem("backoff-max", "must be >= backoff-min");
        }
        r.finish();
        return new ApplyConfig(lanes, maxInFlight, backoffMin, backoffMax);
    }

    /** {@code clusters.NAME.continuity}; {@link ClusterContinuity#OFF} when absent. */
    static ClusterContinuity cluster(ConfigReader r) {
        ContinuityMode mode = r.enumValue("mode", ContinuityMode.OFF, ContinuityMode.class);
        List<String> methods = new ArrayList<>();
        for (String m : r.has("methods") ? r.stringList("methods") : ClusterContinuity.DEFAULT_METHODS) {
            if (!METHOD.matcher(m).matches()) {
                r.problem("methods", "bad method '" + m + "' (upper-case letters, e.g. POST)");
            } else if (m.equals("GET") || m.equals("HEAD") || m.equals("OPTIONS") || m.equals("TRACE") || m.equals("CONNECT")) {
                r.problem("methods", m + " is not a write (a replicated method changes state at the backend)");
            } else if (!methods.contains(m)) {
                methods.add(m);
            }
        }
        if (r.has("methods") && methods.isEmpty() && r.problems().isEmpty()) {
            r.problem("methods", "empty (at least one write method)");
        }
        List<String> paths = r.has("paths") ? r.stringList("paths") : List.of();
        for (String p : paths) {
            if (!p.startsWith("/")) {
                r.problem("paths", "prefix '" + p + "' must start with '/'");
            }
        }
        PartitionKey key = PartitionKey.PATH;
        String keyText = r.string("partition-key", null);
        if (keyText != null) {
            try {
                key = PartitionKey.parse(keyText);
            } catch (IllegalArgumentException e) {
                r.problem("partition-key", e.getMessage());
            }
        }
        long maxBody = r.bytes("max-body", 1L << 20, 0, 32L << 20);
        List<String> headers = new ArrayList<>(ClusterContinuity.DEFAULT_HEADERS);
        for (String h : r.has("headers") ? r.stringList("headers") : List.<String>of()) {
            if (!HEADER.matcher(h).matches()) {
                r.problem("headers", "bad header name '" + h + "'");
                continue;
            }
            String lower = h.toLowerCase(Locale.ROOT);
            if (lower.equals("idempotency-key") || lower.equals("pharos-replay") || lower.equals("content-length")
                    || lower.equals("transfer-encoding") || lower.equals("connection")) {
                r.problem("headers", h + " is set by the replay itself; it cannot be kept from the client");
            } else if (!headers.contains(lower)) {
                headers.add(lower);
            }
        }
        ConfigReader sync = r.object("sync");
        Duration timeout = sync.duration("timeout", Duration.ofSeconds(2), false);
        OnPeerFailure onFailure = sync.enumValue("on-peer-failure", OnPeerFailure.FAIL, OnPeerFailure.class);
        sync.finish();
        Duration maxLag = r.duration("max-lag", Duration.ZERO, true);
        r.finish();
        return new ClusterContinuity(mode, List.copyOf(methods), List.copyOf(paths), key, maxBody, List.copyOf(headers),
                timeout, onFailure, maxLag);
    }

    /** Cross-checks: a replicating cluster needs {@code pharos.continuity} and its peer. */
    static void check(Map<String, ClusterConfig> clusters, Optional<ContinuityConfig> continuity, List<String> problems) {
        for (ClusterConfig c : clusters.values()) {
            ClusterContinuity cc = c.continuity();
            String p = "pharos.clusters." + c.name() + ".continuity.mode";
            if (cc.enabled() && continuity.isEmpty()) {
                problems.add(p + ": " + ConfigReader.wireName(cc.mode()) + " needs pharos.continuity (region, journal.dir, peer)");
            } else if (cc.enabled() && continuity.get().peer().isEmpty()) {
                problems.add(p + ": " + ConfigReader.wireName(cc.mode()) + " needs pharos.continuity.peer (the journal is shipped there;"
                        + " without it nothing is ever confirmed and the journal fills up)");
            }
        }
    }
}
