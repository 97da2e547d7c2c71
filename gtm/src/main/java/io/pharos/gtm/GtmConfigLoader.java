package io.pharos.gtm;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.pharos.health.config.ConfigReader;
import io.pharos.health.config.HostPort;
import io.pharos.gtm.GtmConfig.Admin;
import io.pharos.gtm.GtmConfig.Dns;
import io.pharos.gtm.GtmConfig.Failback;
import io.pharos.gtm.GtmConfig.Probe;
import io.pharos.gtm.GtmConfig.ProbeType;
import io.pharos.gtm.GtmConfig.RecordType;
import io.pharos.gtm.GtmConfig.Region;
import io.pharos.gtm.GtmConfig.Tsig;
import io.pharos.gtm.GtmConfig.TsigAlgorithm;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and validates {@code conf/gtm.conf} into a {@link GtmConfig}. Every problem is collected,
 * one line each naming the HOCON path, and reported together in a {@link GtmConfigException}.
 * Secrets are read here but never appear in a problem or a log line.
 *
 * <p>Reads files: call on the sidecar's main thread.
 */
public final class GtmConfigLoader {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern BIND_SECRET = Pattern.compile("secret\\s+\"([^\"]+)\"");

    private GtmConfigLoader() {
    }

    /** Loads and validates {@code file}; relative paths in it are resolved against the working directory. */
    public static GtmConfig load(Path file) throws GtmConfigException {
        return load(file, System::getenv);
    }

    /** As {@link #load(Path)}, with {@code env} looking up environment variables (for {@code secret-env}). */
    public static GtmConfig load(Path file, Function<String, String> env) throws GtmConfigException {
        if (!Files.isRegularFile(file)) {
            throw new GtmConfigException(List.of("config file not found or not a regular file"));
        }
        Config config;
        try {
            config = ConfigFactory.parseFile(file.toFile(),
                    ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false)).resolve();
        } catch (com.typesafe.config.ConfigException e) {
            throw new GtmConfigException(List.of(ConfigReader.syntaxProblem(e, file)));
        }
        return fromConfig(config, env);
    }

    /** Validates HOCON text; {@code env} looks up environment variables (for {@code secret-env}). */
    public static GtmConfig parse(String text, Function<String, String> env) throws GtmConfigException {
        Config config;
        try {
            config = ConfigFactory.parseString(text).resolve();
        } catch (com.typesafe.config.ConfigException e) {
            throw new GtmConfigException(List.of(ConfigReader.syntaxProblem(e, null)));
        }
        return fromConfig(config, env);
    }

    static GtmConfig fromConfig(Config root, Function<String, String> env) throws GtmConfigException {
        List<String> problems = new ArrayList<>();
        ConfigReader top = new ConfigReader(root, "", problems);
        if (!top.has("gtm")) {
            throw new GtmConfigException(List.of("gtm: missing (required)"));
        }
        ConfigReader r = top.object("gtm");
        top.finish();

        Dns dns = dns(r.object("dns"), env);
        String zone = dns.zone();
        Duration ttl = r.duration("ttl", Duration.ofSeconds(30), false);
        if (ttl.toSeconds() < 1 || ttl.toSeconds() > 86_400) {
            r.problem("ttl", ttl.toSeconds() + "s is out of range (expected 1s..1d)");
        }
        List<String> names = new ArrayList<>();
        List<String> rawNames = r.stringList("names");
        if (rawNames.isEmpty()) {
            r.problem("names", "missing or empty (expected at least one managed name)");
        }
        for (int i = 0; i < rawNames.size(); i++) {
            String n = absolute(rawNames.get(i));
            if (zone != null && !(n.equals(zone) || n.endsWith("." + zone))) {
                r.problem("names[" + i + "]", "'" + rawNames.get(i) + "' is not inside zone '" + zone + "'");
            }
            names.add(n);
        }
        List<RecordType> types = new ArrayList<>();
        List<String> rawTypes = r.has("record-types") ? r.stringList("record-types") : List.of("A");
        for (int i = 0; i < rawTypes.size(); i++) {
            RecordType t = r.parseEnum("record-types[" + i + "]", rawTypes.get(i), null, RecordType.class);
            if (t != null && !types.contains(t)) {
                types.add(t);
            }
        }
        if (rawTypes.isEmpty()) {
            r.problem("record-types", "empty (expected A, AAAA or both)");
        }

        List<Region> regions = r.objectList("regions", rr -> region(rr, types));
        if (regions.size() < 2 && r.has("regions")) {
            r.problem("regions", "failover needs at least two regions, got " + regions.size());
        } else if (!r.has("regions")) {
            r.problem("regions", "missing (required)");
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < regions.size(); i++) {
            if (!seen.add(regions.get(i).name())) {
                r.problem("regions[" + i + "].name", "duplicate region name '" + regions.get(i).name() + "'");
            }
        }

        Duration interval = r.duration("interval", Duration.ofSeconds(2), false);
        Duration fastInterval = r.duration("fast-interval", min(Duration.ofMillis(500), interval), false);
        Duration timeout = r.duration("timeout", Duration.ofSeconds(1), false);
        if (fastInterval.compareTo(interval) > 0) {
            r.problem("fast-interval", human(fastInterval) + " is longer than interval " + human(interval));
        }
        int failure = r.integer("failure-threshold", 3, 1, 100);
        int recovery = r.integer("recovery-threshold", 5, 1, 1000);
        if (recovery < failure) {
            r.problem("recovery-threshold", recovery + " is below failure-threshold " + failure + " (expected >= it)");
        }
        Duration minHold = r.duration("min-hold", ttl.multipliedBy(2), false);
        Failback failback = r.enumValue("failback", Failback.MANUAL, Failback.class);
        Duration stale = r.duration("heartbeat-stale-after", Duration.ofSeconds(1), false);

        Admin admin = admin(r.object("admin"));
        r.finish();
        if (!problems.isEmpty()) {
            throw new GtmConfigException(problems);
        }
        return new GtmConfig(List.copyOf(names), List.copyOf(types), ttl, List.copyOf(regions), interval, fastInterval,
                timeout, failure, recovery, minHold, failback, stale, dns, admin);
    }

    private static Region region(ConfigReader r, List<RecordType> types) {
        String name = r.requiredString("name");
        if (name != null && !NAME.matcher(name).matches()) {
            r.problem("name", "'" + name + "' is not a valid name (letters, digits, _ . -)");
        }
        List<InetAddress> addresses = new ArrayList<>();
        List<String> raw = r.stringList("addresses");
        if (raw.isEmpty()) {
            r.problem("addresses", "missing or empty (expected the addresses to publish)");
        }
        for (int i = 0; i < raw.size(); i++) {
            InetAddress a = literal(raw.get(i));
            if (a == null) {
                r.problem("addresses[" + i + "]", "'" + raw.get(i) + "' is not an IPv4 or IPv6 address literal");
                continue;
            }
            RecordType t = a instanceof Inet6Address ? RecordType.AAAA : RecordType.A;
            if (!types.contains(t)) {
                r.problem("addresses[" + i + "]", raw.get(i) + " needs record type " + t + " which is not in record-types");
            }
            addresses.add(a);
        }
        for (RecordType t : types) {
            boolean any = addresses.stream().anyMatch(a -> (a instanceof Inet6Address) == (t == RecordType.AAAA));
            if (!raw.isEmpty() && !any) {
                r.problem("addresses", "no " + t + " address although record-types has " + t + " (an empty answer is never published)");
            }
        }
        Probe probe = probe(r.object("probe"));
        if (!r.has("probe")) {
            r.problem("probe", "missing (required)");
        }
        String events = r.string("events-file", null);
        Optional<Path> eventsFile = Optional.ofNullable(events).map(Path::of);
        return name == null ? null : new Region(name, List.copyOf(addresses), probe, eventsFile);
    }

    private static Probe probe(ConfigReader r) {
        ProbeType type = r.enumValue("type", ProbeType.HTTP, ProbeType.class);
        Optional<URI> url = Optional.empty();
        Optional<HostPort> address = Optional.empty();
        List<Integer> expect = List.of(200);
        if (type == ProbeType.HTTP) {
            String u = r.requiredString("url");
            if (u != null) {
                try {
                    URI uri = new URI(u);
                    boolean scheme = "http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme());
                    if (!scheme || uri.getHost() == null) {
                        r.problem("url", "'" + u + "' is not an http(s)://host[:port]/path URL");
                    } else {
                        url = Optional.of(uri);
                    }
                } catch (URISyntaxException e) {
                    r.problem("url", "'" + u + "' is not a URL: " + e.getReason());
                }
            }
            if (r.has("expect-status")) {
                expect = r.intList("expect-status");
                for (int s : expect) {
                    if (s < 100 || s > 599) {
                        r.problem("expect-status", s + " is not an HTTP status (expected 100..599)");
                    }
                }
            }
        } else {
            address = hostPort(r, "address", true);
        }
        Optional<Path> caFile = caFile(r, url);
        r.finish();
        return new Probe(type, url, List.copyOf(expect), address, caFile);
    }

    /** {@code ca-file}: PEM certificates an {@code https} probe trusts instead of the JVM's trust store. */
    private static Optional<Path> caFile(ConfigReader r, Optional<URI> url) {
        String file = r.string("ca-file", null);
        if (file == null) {
            return Optional.empty();
        }
        if (url.isEmpty() || !"https".equalsIgnoreCase(url.get().getScheme())) {
            r.problem("ca-file", "only with an https:// url (nothing to verify otherwise)");
            return Optional.empty();
        }
        Path path = Path.of(file);
        try (var in = Files.newInputStream(path)) {
            if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
                r.problem("ca-file", file + " holds no PEM certificate");
            }
        } catch (IOException e) {
            r.problem("ca-file", "cannot read " + file + ": " + e.getClass().getSimpleName());
        } catch (CertificateException e) {
            r.problem("ca-file", file + " is not a PEM certificate file: " + e.getMessage());
        }
        return Optional.of(path);
    }

    private static Dns dns(ConfigReader r, Function<String, String> env) {
        String zone = absolute(r.string("zone", null));
        if (zone == null) {
            r.problem("zone", "missing (required)");
        }
        List<HostPort> servers = new ArrayList<>();
        List<String> raw = r.stringList("servers");
        if (raw.isEmpty()) {
            r.problem("servers", "missing or empty (expected authoritative servers host:port)");
        }
        for (int i = 0; i < raw.size(); i++) {
            try {
                servers.add(HostPort.parse(raw.get(i)));
            } catch (IllegalArgumentException e) {
                r.problem("servers[" + i + "]", e.getMessage());
            }
        }
        Duration timeout = r.duration("timeout", Duration.ofSeconds(2), false);
        Duration retryInitial = r.duration("retry-initial", Duration.ofMillis(250), false);
        Duration retryMax = r.duration("retry-max", Duration.ofSeconds(10), false);
        if (retryMax.compareTo(retryInitial) < 0) {
            r.problem("retry-max", human(retryMax) + " is below retry-initial " + human(retryInitial));
        }
        Tsig tsig = tsig(r.object("tsig"), env);
        if (!r.has("tsig")) {
            r.problem("tsig", "missing (required: updates are always signed)");
        }
        r.finish();
        return new Dns(List.copyOf(servers), zone, tsig, timeout, retryInitial, retryMax);
    }

    private static Tsig tsig(ConfigReader r, Function<String, String> env) {
        String name = absolute(r.requiredString("name"));
        String alg = r.string("algorithm", "hmac-sha256");
        TsigAlgorithm algorithm = TsigAlgorithm.HMAC_SHA256;
        String a = alg.toLowerCase(Locale.ROOT);
        if (a.startsWith("hmac-md5")) {
            r.problem("algorithm", "hmac-md5 is refused (broken); use hmac-sha256");
        } else {
            algorithm = r.parseEnum("algorithm", a.endsWith(".") ? a.substring(0, a.length() - 1) : a,
                    TsigAlgorithm.HMAC_SHA256, TsigAlgorithm.class);
        }
        String file = r.string("secret-file", null);
        String envName = r.string("secret-env", null);
        String secret = null;
        String source = null;
        if ((file == null) == (envName == null)) {
            r.problem("secret-file", "give exactly one of secret-file or secret-env (the secret itself never goes in the config)");
        } else if (file != null) {
            source = "file " + file;
            try {
                String text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
                Matcher m = BIND_SECRET.matcher(text);
                secret = m.find() ? m.group(1) : text.strip();
            } catch (IOException e) {
                r.problem("secret-file", "cannot read " + file + ": " + e.getClass().getSimpleName());
            }
        } else {
            source = "environment variable " + envName;
            secret = env.apply(envName);
            if (secret == null || secret.isBlank()) {
                r.problem("secret-env", "environment variable " + envName + " is not set");
                secret = null;
            }
        }
        if (secret != null) {
            try {
                if (Base64.getDecoder().decode(secret.strip()).length < 16) {
                    r.problem(file != null ? "secret-file" : "secret-env", "the secret is shorter than 16 bytes");
                }
                secret = secret.strip();
            } catch (IllegalArgumentException e) {
                r.problem(file != null ? "secret-file" : "secret-env", "the secret is not base64");
                secret = null;
            }
        }
        r.finish();
        return new Tsig(name, algorithm, secret, source);
    }

    private static Admin admin(ConfigReader r) {
        HostPort listen = hostPort(r, "listen", false).orElse(new HostPort("127.0.0.1", 9902));
        Optional<String> token = Optional.ofNullable(r.string("token", null)).filter(t -> !t.isEmpty());
        if (token.isPresent() && token.get().length() < 16) {
            r.problem("token", "too short (at least 16 characters)");
        }
        if (token.isEmpty() && !isLoopback(listen.host())) {
            r.problem("token", "required when admin.listen (" + listen + ") is not a loopback address");
        }
        r.finish();
        return new Admin(listen, token);
    }

    private static Optional<HostPort> hostPort(ConfigReader r, String key, boolean required) {
        String s = required ? r.requiredString(key) : r.string(key, null);
        if (s == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(HostPort.parse(s));
        } catch (IllegalArgumentException e) {
            r.problem(key, e.getMessage());
            return Optional.empty();
        }
    }

    static boolean isLoopback(String host) {
        if (host.equals("localhost")) {
            return true;
        }
        InetAddress a = literal(host);
        return a != null && a.isLoopbackAddress();
    }

    /** Parses an IP literal without any name lookup; {@code null} if it is not one. */
    static InetAddress literal(String s) {
        byte[] bytes = org.xbill.DNS.Address.toByteArray(s, org.xbill.DNS.Address.IPv4);
        if (bytes == null) {
            bytes = org.xbill.DNS.Address.toByteArray(s, org.xbill.DNS.Address.IPv6);
        }
        if (bytes == null) {
            return null;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** {@code 500ms}, {@code 2s}: durations as the config writes them. */
    static String human(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    private static String absolute(String name) {
        if (name == null) {
            return null;
        }
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n : n + ".";
    }
}
