package io.pharos.proxy.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.pharos.health.config.ConfigReader;
import io.pharos.health.config.HostPort;
import io.pharos.proxy.config.PharosConfig.AccessLogConfig;
import io.pharos.proxy.config.PharosConfig.ActiveCheckConfig;
import io.pharos.proxy.config.PharosConfig.AdminConfig;
import io.pharos.proxy.config.PharosConfig.Algorithm;
import io.pharos.proxy.config.PharosConfig.BackendConfig;
import io.pharos.proxy.config.PharosConfig.BalancerConfig;
import io.pharos.proxy.config.PharosConfig.CheckType;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.config.PharosConfig.ClusterContinuity;
import io.pharos.proxy.config.PharosConfig.ContinuityConfig;
import io.pharos.proxy.config.PharosConfig.EventsConfig;
import io.pharos.proxy.config.PharosConfig.HashKey;
import io.pharos.proxy.config.PharosConfig.HealthConfig;
import io.pharos.proxy.config.PharosConfig.HttpConfig;
import io.pharos.proxy.config.PharosConfig.InitialState;
import io.pharos.proxy.config.PharosConfig.ListenerConfig;
import io.pharos.proxy.config.PharosConfig.PassiveCheckConfig;
import io.pharos.proxy.config.PharosConfig.Protocol;
import io.pharos.proxy.config.PharosConfig.ProxyProtocolVersion;
import io.pharos.proxy.config.PharosConfig.RetryConfig;
import io.pharos.proxy.config.PharosConfig.ShutdownConfig;
import io.pharos.proxy.config.PharosConfig.SniCertificate;
import io.pharos.proxy.config.PharosConfig.StatusRange;
import io.pharos.proxy.config.PharosConfig.TimeoutConfig;
import io.pharos.proxy.config.PharosConfig.TlsConfig;
import io.pharos.proxy.config.PharosConfig.UpstreamProtocol;
import io.pharos.proxy.config.PharosConfig.UpstreamTlsConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses and validates the proxy's HOCON config into a {@link PharosConfig}. Every problem is collected
 * (one line each, naming the HOCON path and the reason) and reported together in a {@link ConfigException}.
 *
 * <p>Reads files: call on the control thread, never on an event loop.
 */
public final class ConfigLoader {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private ConfigLoader() {
    }

    /** Loads and validates {@code file}. Blocks on file I/O. */
    public static PharosConfig load(Path file) throws ConfigException {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(List.of("config file not found or not a regular file"));
        }
        Config config;
        try {
            config = ConfigFactory.parseFile(file.toFile(),
                    ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false)).resolve();
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException(List.of(ConfigReader.syntaxProblem(e, file)));
        }
        return fromConfig(config, Optional.of(file.toAbsolutePath().normalize()));
    }

    /** Validates an already parsed HOCON tree; {@code text} form for tests and embedded use. */
    public static PharosConfig parse(String text) throws ConfigException {
        Config config;
        try {
            config = ConfigFactory.parseString(text).resolve();
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException(List.of(ConfigReader.syntaxProblem(e, null)));
        }
        return fromConfig(config, Optional.empty());
    }

    static PharosConfig fromConfig(Config root, Optional<Path> source) throws ConfigException {
        List<String> problems = new ArrayList<>();
        ConfigReader top = new ConfigReader(root, "", problems);
        if (!top.hasObject("pharos")) {
            throw new ConfigException(List.of("pharos: missing (the config must have a top-level pharos { ... } object)"));
        }
        ConfigReader r = top.object("pharos");
        top.finish();
        Path base = source.map(Path::getParent).orElse(Path.of("."));

        int workers = r.integer("workers", 0, 0, 1024);
        AdminConfig admin = admin(r.object("admin"));
        Optional<EventsConfig> events = r.has("events") ? Optional.of(events(r.object("events"), base)) : Optional.empty();
        HttpConfig http = http(r.object("http"));
        ShutdownConfig shutdown = shutdown(r.object("shutdown"));
        AccessLogConfig accessLog = accessLog(r.object("access-log"), base);

        Map<String, ClusterConfig> clusters = new LinkedHashMap<>();
        ConfigReader cr = r.object("clusters");
        for (String name : cr.keys()) {
            cr.allow(name);
            if (!NAME.matcher(name).matches()) {
                cr.problem(name, "bad cluster name (letters, digits, '-', '_', '.'; at most 64)");
                continue;
            }
            if (!cr.hasObject(name)) {
                cr.problem(name, "expected an object { ... }");
                continue;
            }
            ConfigReader c = cr.object(name);
            clusters.put(name, cluster(name, c, base));
            c.finish();
        }
        cr.finish();

        List<ListenerConfig> listeners = r.objectList("listeners", l -> listener(l, base));
        if (!r.has("listeners")) {
            r.problem("listeners", "missing (at least one listener is needed)");
        } else if (listeners.isEmpty() && problems.isEmpty()) {
            r.problem("listeners", "empty (at least one listener is needed)");
        }
        Set<String> listenerNames = new HashSet<>();
        Set<HostPort> listenerAddresses = new HashSet<>();
        for (int i = 0; i < listeners.size(); i++) {
            ListenerConfig l = listeners.get(i);
            String p = "pharos.listeners[" + i + "]";
            if (!listenerNames.add(l.name())) {
                problems.add(p + ".name: duplicate listener name '" + l.name() + "'");
            }
            if (l.listen() != null && l.listen().port() != 0 && !listenerAddresses.add(l.listen())) {
                problems.add(p + ".listen: address " + l.listen() + " is used by another listener");
            }
            if (!clusters.containsKey(l.cluster())) {
                problems.add(p + ".cluster: no cluster named '" + l.cluster() + "' (known: " + String.join(", ", clusters.keySet()) + ")");
            } else if (l.protocol() == Protocol.TCP) {
                clusters.get(l.cluster()).balancer().hashKey()
                        .filter(k -> k.source() != HashKey.Source.SOURCE_IP)
                        .ifPresent(k -> problems.add(p + ".cluster: cluster '" + l.cluster()
                                + "' hashes on " + k + ", which a tcp listener cannot see (use source-ip)"));
            }
        }
        Optional<ContinuityConfig> continuity = r.has("continuity")
                ? Optional.of(ContinuityConfigReader.continuity(r.object("continuity"), base,
                        events.map(EventsConfig::region).orElse("primary"), ConfigLoader::tls))
                : Optional.empty();
        ContinuityConfigReader.check(clusters, continuity, problems);
        if (admin.listen() != null && !admin.listen().isLoopback() && admin.token().isEmpty()) {
            problems.add("pharos.admin.token: required when admin.listen (" + admin.listen() + ") is not a loopback address");
        }
        r.finish();
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new PharosConfig(source, workers, admin, events, http, shutdown, accessLog,
                List.copyOf(listeners), Map.copyOf(clusters), continuity);
    }

    private static AdminConfig admin(ConfigReader r) {
        HostPort listen = r.address("listen", false).orElse(new HostPort("127.0.0.1", 9901));
        Optional<String> token = r.optionalString("token").filter(t -> !t.isEmpty());
        if (token.isPresent() && token.get().length() < 16) {
            r.problem("token", "too short (at least 16 characters)");
        }
        Optional<Path> stateFile = r.optionalString("state-file").filter(s -> !s.isEmpty()).map(Path::of);
        r.finish();
        return new AdminConfig(listen, token, stateFile);
    }

    private static EventsConfig events(ConfigReader r, Path base) {
        String file = r.requiredString("file");
        String region = r.string("region", "primary");
        int capacity = (int) r.bytes("capacity", 1 << 20, 4096, 1 << 30);
        if (Integer.bitCount(capacity) != 1) {
            r.problem("capacity", capacity + " is not a power of two");
        }
        r.finish();
        return new EventsConfig(file == null ? Path.of("/dev/shm/pharos-events") : base.resolve(file), region, capacity);
    }

    private static HttpConfig http(ConfigReader r) {
        HttpConfig c = new HttpConfig(
                (int) r.bytes("max-request-line", 8192, 256, 1 << 20),
                (int) r.bytes("max-header-size", 16384, 1024, 1 << 20),
                r.duration("header-read-timeout", Duration.ofSeconds(10), false),
                r.duration("idle-timeout", Duration.ofSeconds(60), false));
        r.finish();
        return c;
    }

    private static ShutdownConfig shutdown(ConfigReader r) {
        ShutdownConfig c = new ShutdownConfig(
                r.duration("delay", Duration.ofSeconds(1), true),
                r.duration("drain-timeout", ShutdownConfig.DEFAULT_DRAIN_TIMEOUT, true));
        r.finish();
        return c;
    }

    private static AccessLogConfig accessLog(ConfigReader r, Path base) {
        AccessLogConfig c = new AccessLogConfig(r.bool("enabled", false),
                r.optionalString("file").filter(s -> !s.isEmpty()).map(base::resolve));
        r.finish();
        return c;
    }

    private static ListenerConfig listener(ConfigReader r, Path base) {
        String name = r.requiredString("name");
        if (name != null && !NAME.matcher(name).matches()) {
            r.problem("name", "bad listener name '" + name + "'");
        }
        Optional<HostPort> listen = r.address("listen", true);
        Protocol protocol = r.enumValue("protocol", Protocol.HTTP, Protocol.class);
        String cluster = r.requiredString("cluster");
        Optional<TlsConfig> tls = r.has("tls") ? Optional.of(tls(r.object("tls"), base)) : Optional.empty();
        ConfigReader pp = r.object("proxy-protocol");
        boolean accept = pp.bool("accept", false);
        pp.finish();
        if (r.has("splice") && protocol != Protocol.TCP) {
            r.problem("splice", "only for protocol = tcp");
        }
        boolean splice = r.bool("splice", true);
        if (name == null || cluster == null) {
            return null;
        }
        // an unusable address was reported above; the listener is still returned for the cross-checks
        return new ListenerConfig(name, listen.orElse(null), protocol, cluster, tls, accept, splice);
    }

    private static TlsConfig tls(ConfigReader r, Path base) {
        Path cert = existingFile(r, "certificate", base, true);
        Path key = existingFile(r, "key", base, true);
        List<SniCertificate> sni = r.objectList("sni", s -> {
            List<String> names = s.stringList("names");
            if (names.isEmpty()) {
                s.problem("names", "at least one server name is needed");
            }
            Path c = existingFile(s, "certificate", base, true);
            Path k = existingFile(s, "key", base, true);
            return c == null || k == null ? null : new SniCertificate(List.copyOf(names), c, k);
        });
        Optional<Path> clientCa = Optional.ofNullable(existingFile(r, "client-ca", base, false));
        List<String> protocols = r.has("protocols") ? r.stringList("protocols") : List.of("TLSv1.3", "TLSv1.2");
        for (String p : protocols) {
            if (!p.equals("TLSv1.3") && !p.equals("TLSv1.2") && !p.equals("TLSv1.1") && !p.equals("TLSv1")) {
                r.problem("protocols", "unknown protocol '" + p + "' (expected TLSv1.3, TLSv1.2, TLSv1.1, TLSv1)");
            }
        }
        r.finish();
        return new TlsConfig(cert, key, List.copyOf(sni), clientCa, List.copyOf(protocols));
    }

    private static Path existingFile(ConfigReader r, String key, Path base, boolean required) {
        String s = required ? r.requiredString(key) : r.string(key, null);
        if (s == null) {
            return null;
        }
        Path p = base.resolve(s);
        if (!Files.isReadable(p)) {
            r.problem(key, "file " + p + " not found or not readable");
        }
        return p;
    }

    private static ClusterConfig cluster(String name, ConfigReader r, Path base) {
        BalancerConfig balancer = balancer(r);
        List<BackendConfig> backends = r.objectList("backends", ConfigLoader::backend);
        if (!r.has("backends")) {
            r.problem("backends", "missing (a cluster needs at least one backend)");
        } else if (backends.isEmpty() && r.problems().isEmpty()) {
            r.problem("backends", "empty (a cluster needs at least one backend)");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < backends.size(); i++) {
            if (!names.add(backends.get(i).name())) {
                r.problems().add(r.path("backends") + "[" + i + "].name: duplicate backend name '" + backends.get(i).name() + "'");
            }
        }
        ConfigReader h = r.object("health");
        Optional<ActiveCheckConfig> active = h.has("active") ? Optional.of(active(h.object("active"))) : Optional.empty();
        Optional<PassiveCheckConfig> passive = h.has("passive") ? Optional.of(passive(h.object("passive"))) : Optional.empty();
        h.finish();
        RetryConfig retries = retries(r.object("retries"));
        TimeoutConfig timeouts = timeouts(r.object("timeouts"));
        ConfigReader pp = r.object("proxy-protocol");
        ProxyProtocolVersion send = pp.enumValue("send", ProxyProtocolVersion.NONE, ProxyProtocolVersion.class);
        pp.finish();
        Optional<UpstreamTlsConfig> upstreamTls = r.has("upstream-tls") ? upstreamTls(r.object("upstream-tls"), base) : Optional.empty();
        UpstreamProtocol protocol = r.enumValue("protocol", UpstreamProtocol.HTTP1, UpstreamProtocol.class);
        if (protocol == UpstreamProtocol.H2 && send != ProxyProtocolVersion.NONE) {
            r.problem("proxy-protocol.send", "not with protocol = h2 (an HTTP/2 connection carries many clients' streams)");
        }
        ClusterContinuity continuity = r.has("continuity") ? ContinuityConfigReader.cluster(r.object("continuity")) : ClusterContinuity.OFF;
        return new ClusterConfig(name, balancer, List.copyOf(backends), new HealthConfig(active, passive), retries, timeouts,
                send, upstreamTls, protocol, continuity);
    }

    private static Optional<UpstreamTlsConfig> upstreamTls(ConfigReader r, Path base) {
        boolean enabled = r.bool("enabled", true);
        Optional<Path> ca = Optional.ofNullable(existingFile(r, "ca-file", base, false));
        Optional<String> serverName = r.optionalString("server-name").filter(s -> !s.isEmpty());
        boolean insecure = r.bool("insecure-skip-verify", false);
        if (insecure && ca.isPresent()) {
            r.problem("insecure-skip-verify", "contradicts ca-file (verification is either on or off)");
        }
        r.finish();
        return enabled ? Optional.of(new UpstreamTlsConfig(ca, serverName, insecure)) : Optional.empty();
    }

    private static BalancerConfig balancer(ConfigReader r) {
        Algorithm algorithm = r.enumValue("balancer", Algorithm.ROUND_ROBIN, Algorithm.class);
        Optional<HashKey> hashKey = Optional.empty();
        String hk = r.string("hash-key", null);
        if (hk != null) {
            try {
                hashKey = Optional.of(HashKey.parse(hk));
            } catch (IllegalArgumentException e) {
                r.problem("hash-key", e.getMessage());
            }
        }
        if ((algorithm == Algorithm.RING_HASH || algorithm == Algorithm.MAGLEV) && hk == null) {
            r.problem("hash-key", "required by balancer " + ConfigReader.wireName(algorithm) + " (header:NAME, cookie:NAME or source-ip)");
        }
        int choiceCount = r.integer("choice-count", 2, 2, 16);
        Duration ewmaDecay = r.duration("ewma-decay", Duration.ofSeconds(10), false);
        int ringSize = r.integer("ring-size", 1024, 16, 8 << 20);
        int tableSize = r.integer("table-size", 65537, 7, 5_000_011);
        if (!BalancerConfig.isPrime(tableSize)) {
            r.problem("table-size", tableSize + " is not a prime");
        }
        int panic = r.integer("panic-threshold", 50, 0, 100);
        ConfigReader ss = r.object("slow-start");
        Duration window = ss.duration("window", Duration.ZERO, true);
        double floor = ss.decimal("floor", 0.1, 0.01, 1.0);
        ss.finish();
        return new BalancerConfig(algorithm, hashKey, choiceCount, ewmaDecay, ringSize, tableSize, panic, window, floor);
    }

    private static BackendConfig backend(ConfigReader r) {
        String name = r.requiredString("name");
        if (name != null && !NAME.matcher(name).matches()) {
            r.problem("name", "bad backend name '" + name + "'");
        }
        Optional<HostPort> address = r.address("address", true);
        address.filter(a -> a.port() == 0).ifPresent(a -> r.problem("address", "port 0 is not a backend port"));
        int weight = r.integer("weight", 100, 0, 65535);
        if (name == null || address.isEmpty()) {
            return null;
        }
        return new BackendConfig(name, address.get(), weight);
    }

    private static ActiveCheckConfig active(ConfigReader r) {
        CheckType type = r.enumValue("type", CheckType.TCP, CheckType.class);
        String method = r.string("method", "GET");
        String path = r.string("path", "/");
        if (!path.startsWith("/")) {
            r.problem("path", "must start with '/'");
        }
        Optional<String> host = r.optionalString("host");
        List<StatusRange> expect = new ArrayList<>();
        if (r.has("expect-status")) {
            for (String s : r.stringList("expect-status")) {
                try {
                    expect.add(statusRange(s));
                } catch (IllegalArgumentException e) {
                    r.problem("expect-status", e.getMessage());
                }
            }
        } else {
            expect.add(new StatusRange(200, 399));
        }
        Optional<String> body = r.optionalString("expect-body");
        Duration interval = r.duration("interval", Duration.ofSeconds(2), false);
        Duration fast = r.duration("fast-interval", interval, false);
        Duration timeout = r.duration("timeout", Duration.ofSeconds(1), false);
        int rise = r.integer("rise", 2, 1, 100);
        int fall = r.integer("fall", 3, 1, 100);
        int port = r.integer("port", 0, 0, 65535);
        double jitter = r.decimal("jitter", 0.15, 0, 0.5);
        InitialState initial = r.enumValue("initial-state", InitialState.OPTIMISTIC, InitialState.class);
        r.finish();
        return new ActiveCheckConfig(type, method, path, host, List.copyOf(expect), body, interval, fast, timeout,
                rise, fall, port, jitter, initial);
    }

    static StatusRange statusRange(String s) {
        try {
            int dash = s.indexOf('-');
            int from = Integer.parseInt((dash < 0 ? s : s.substring(0, dash)).trim());
            int to = dash < 0 ? from : Integer.parseInt(s.substring(dash + 1).trim());
            if (from < 100 || to > 599 || from > to) {
                throw new IllegalArgumentException("bad status range '" + s + "' (expected e.g. 200 or 200-399 within 100..599)");
            }
            return new StatusRange(from, to);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad status range '" + s + "' (expected e.g. 200 or 200-399)");
        }
    }

    private static PassiveCheckConfig passive(ConfigReader r) {
        PassiveCheckConfig c = new PassiveCheckConfig(
                r.integer("consecutive-failures", 5, 0, 1000),
                r.integer("consecutive-5xx", 0, 0, 1000),
                r.duration("base-ejection-time", Duration.ofSeconds(30), false),
                r.duration("max-ejection-time", Duration.ofSeconds(300), false),
                r.integer("max-ejection-percent", 50, 0, 100));
        if (c.maxEjectionTime().compareTo(c.baseEjectionTime()) < 0) {
            r.problem("max-ejection-time", "must be >= base-ejection-time");
        }
        r.finish();
        return c;
    }

    private static RetryConfig retries(ConfigReader r) {
        RetryConfig c = new RetryConfig(
                r.integer("attempts", 2, 1, 10),
                r.integer("budget-percent", 20, 0, 100),
                r.integer("min-concurrent", 3, 0, 100_000),
                (int) r.bytes("replay-buffer", 64 * 1024, 0, 16 << 20));
        r.finish();
        return c;
    }

    private static TimeoutConfig timeouts(ConfigReader r) {
        TimeoutConfig c = new TimeoutConfig(
                r.duration("connect", Duration.ofSeconds(1), false),
                r.duration("request", Duration.ofSeconds(15), false),
                r.duration("idle", Duration.ofSeconds(60), false));
        r.finish();
        return c;
    }
}
