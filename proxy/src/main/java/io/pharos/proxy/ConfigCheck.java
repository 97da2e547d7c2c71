package io.pharos.proxy;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.pharos.proxy.config.ConfigException;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.config.PharosConfig.BackendConfig;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.config.PharosConfig.ListenerConfig;
import io.pharos.proxy.config.PharosConfig.Protocol;
import io.pharos.proxy.tls.Alpn;
import io.pharos.proxy.tls.ListenerTls;
import io.pharos.proxy.tls.TlsException;
import io.pharos.proxy.tls.UpstreamTls;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * {@code pharos check -c FILE}: everything a start would refuse, without binding a port. The config is
 * loaded and validated, every TLS context is built (a key that does not belong to its certificate, an
 * unreadable or malformed PEM file are problems; a certificate outside its validity period is a warning),
 * and every backend host name is resolved (one that does not resolve is a warning: DNS may know it by the
 * time the proxy starts, and a backend is resolved again at each reload). Problems go to {@code err} under one header naming the file, and exit 2;
 * warnings go to {@code err}, and the one summary line to {@code out}. Runs on the caller's thread and
 * blocks (file I/O, DNS).
 */
final class ConfigCheck {
    private final PrintStream out;
    private final PrintStream err;
    /** True when a host name resolves; DNS in production, a stub in tests. */
    private final Predicate<String> resolves;

    ConfigCheck(PrintStream out, PrintStream err, Predicate<String> resolves) {
        this.out = out;
        this.err = err;
        this.resolves = resolves;
    }

    /** A check that resolves host names with the system resolver. */
    static ConfigCheck withDns(PrintStream out, PrintStream err) {
        return new ConfigCheck(out, err, ConfigCheck::resolvesByDns);
    }

    /** Checks {@code file}; the exit code: 0 valid (perhaps with warnings), 2 invalid. */
    int run(Path file) {
        PharosConfig config;
        try {
            config = ConfigLoader.load(file);
        } catch (ConfigException e) {
            List<String> problems = e.problems();
            if (isGtmConfig(file)) {
                problems = List.of("this is a GTM sidecar config (top-level gtm { ... }, no pharos { ... }): check it with"
                        + " bin/pharos gtm check -c " + file);
            }
            return invalid(file, problems);
        }
        List<String> problems = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        checkListenerTls(config, problems, warnings);
        try {
            UpstreamTls.create(config.clusters().values());
        } catch (TlsException e) {
            problems.addAll(e.problems());
        }
        if (!problems.isEmpty()) {
            return invalid(file, problems);
        }
        checkBackendHosts(config, warnings);
        for (String w : warnings) {
            err.println("pharos: warning: " + w);
        }
        int backends = config.clusters().values().stream().mapToInt(c -> c.backends().size()).sum();
        out.println("pharos: " + file + " is valid (" + count(config.listeners().size(), "listener") + ", "
                + count(config.clusters().size(), "cluster") + ", " + count(backends, "backend")
                + (warnings.isEmpty() ? "" : "; " + count(warnings.size(), "warning")) + ")");
        return Main.EXIT_OK;
    }

    private void checkListenerTls(PharosConfig config, List<String> problems, List<String> warnings) {
        for (int i = 0; i < config.listeners().size(); i++) {
            ListenerConfig l = config.listeners().get(i);
            if (l.tls().isEmpty()) {
                continue;
            }
            String path = "pharos.listeners[" + i + "].";
            try {
                for (String w : ListenerTls.check(l.tls().get(), l.protocol() == Protocol.HTTP ? Alpn.HTTP : Alpn.NONE)) {
                    warnings.add(path + w);
                }
            } catch (TlsException e) {
                for (String p : e.problems()) {
                    problems.add(path + p);
                }
            }
        }
    }

    private void checkBackendHosts(PharosConfig config, List<String> warnings) {
        Set<String> unresolved = new LinkedHashSet<>();
        for (ClusterConfig c : config.clusters().values()) {
            for (int i = 0; i < c.backends().size(); i++) {
                BackendConfig b = c.backends().get(i);
                String host = b.address().host();
                if (unresolved.contains(host) || !resolves.test(host)) {
                    unresolved.add(host);
                    warnings.add("pharos.clusters." + c.name() + ".backends[" + i + "].address: host '" + host
                            + "' does not resolve (the proxy resolves it at start and at each reload; until a reload"
                            + " after it resolves, connections to this backend fail)");
                }
            }
        }
    }

    private int invalid(Path file, List<String> problems) {
        err.println("pharos: invalid config " + file + " (" + count(problems.size(), "problem") + "):");
        for (String p : problems) {
            err.println("  " + p);
        }
        return Main.EXIT_CONFIG;
    }

    /** {@code 1 listener}, {@code 2 listeners}. */
    static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /** True when {@code file} parses and has a top-level {@code gtm} object but no {@code pharos}. */
    static boolean isGtmConfig(Path file) {
        try {
            var root = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF));
            return root.hasPath("gtm") && !root.hasPath("pharos");
        } catch (com.typesafe.config.ConfigException e) {
            return false;
        }
    }

    private static boolean resolvesByDns(String host) {
        try {
            InetAddress.getByName(host);
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
