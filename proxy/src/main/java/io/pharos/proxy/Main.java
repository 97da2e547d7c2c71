package io.pharos.proxy;

import io.pharos.health.PharosVersion;
import io.pharos.health.event.ipc.EventTail;
import io.pharos.health.logging.LogLevels;
import io.pharos.proxy.admin.AdminServer;
import io.pharos.proxy.config.ConfigException;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.continuity.journal.JournalDump;
import io.pharos.proxy.demo.DemoBackend;
import io.pharos.proxy.demo.KvApp;
import io.pharos.proxy.server.ProxyRuntime;
import io.pharos.proxy.transport.Transport;
import sun.misc.Signal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;

/**
 * The command line: {@code pharos proxy -c FILE}, {@code pharos check -c FILE}, {@code pharos demo},
 * {@code pharos events -f FILE}, {@code pharos journal dump DIR}, {@code pharos kv --listen HOST:PORT --store DIR}. ({@code pharos gtm -c FILE} is the sidecar's own entry point, GtmMain in
 * module gtm, which {@code bin/pharos} runs.) {@code pharos --version} prints the build's version,
 * {@code pharos COMMAND --help} the command's usage ({@link CommandHelp}); {@code -v}, {@code -vv} and
 * {@code --log-level SPEC} set the log levels ({@link LogLevels}). Exit codes: 0 ok, 1 runtime failure,
 * 2 invalid config or usage. Runs on the main thread.
 */
public final class Main {
    static final int EXIT_OK = 0;
    static final int EXIT_FAILURE = 1;
    static final int EXIT_CONFIG = 2;
    /** The demo's admin API port, the admin API's usual one ({@code admin.listen} defaults to 127.0.0.1:9901). */
    static final int DEMO_ADMIN_PORT = 9901;

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        LogLevels.useOneLineFormat();
        int code = run(args, System.out, System.err);
        if (code >= 0) {
            System.exit(code);
        }
    }

    /**
     * Runs a command; returns its exit code, or -1 when it keeps running (a server). {@code -v}, {@code -vv}
     * and {@code --log-level SPEC} may stand anywhere and set the log levels first ({@link LogLevels}).
     */
    static int run(String[] cmdline, PrintStream out, PrintStream err) throws Exception {
        LogLevels.Parsed parsed;
        try {
            parsed = LogLevels.extract(cmdline);
        } catch (IllegalArgumentException e) {
            err.println("pharos: " + e.getMessage());
            return EXIT_CONFIG;
        }
        parsed.levels().apply();
        String[] args = parsed.rest();
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
            usage(args.length == 0 ? err : out);
            return args.length == 0 ? EXIT_CONFIG : EXIT_OK;
        }
        if (args[0].equals("--version") || args[0].equals("-V") || args[0].equals("version")) {
            out.println(PharosVersion.describe("pharos"));
            return EXIT_OK;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
            String help = CommandHelp.of(args[0], rest.length > 0 ? rest[0] : null);
            if (help != null) {
                out.print(help);
                return EXIT_OK;
            }
        }
        // not a static field: the console handler must be made after the one-line format is set
        Logger.getLogger(Main.class.getName()).fine(() -> "pharos " + PharosVersion.current() + ", log levels " + parsed.levels());
        switch (args[0]) {
            case "proxy":
                return proxy(rest, err);
            case "check":
                return check(rest, out, err);
            case "demo":
                return demo(rest, out, err);
            case "gtm":
                err.println("pharos: the GTM sidecar is its own application (module gtm): run bin/pharos gtm -c FILE");
                return EXIT_CONFIG;
            case "events":
                EventTail.main(rest);
                return -1;
            case "journal":
                return JournalDump.run(rest, out, err);
            case "kv":
                return KvApp.run(rest, out, err);
            default:
                err.println("pharos: unknown command '" + args[0] + "'");
                usage(err);
                return EXIT_CONFIG;
        }
    }

    private static void usage(PrintStream s) {
        s.println("usage: pharos proxy -c FILE     run the proxy with a HOCON config");
        s.println("       pharos check -c FILE     validate a config, its certificates and backend names; exit 0 valid, 2 invalid");
        s.println("                                (a GTM sidecar config: pharos gtm check -c FILE)");
        s.println("       pharos demo [--port N] [--admin-port N]   proxy on 127.0.0.1:8080 over three demo backends, admin API on 127.0.0.1:9901");
        s.println("       pharos demo continuity [--port N] [--mode sync|async]   two regions replicating writes (data continuity)");
        s.println("       pharos gtm -c FILE       run the GTM sidecar (cross-region DNS failover)");
        s.println("       pharos events -f FILE    print the proxy's health events as they come");
        s.println("       " + JournalDump.usageLine());
        s.println("       " + KvApp.usageLine());
        s.println("       pharos --version         print the version and the JVM");
        s.println("       pharos COMMAND --help    a command's options and exit codes");
        s.println("log options (any command):");
        s.print(LogLevels.HELP);
    }

    private static Path configArg(String[] args, PrintStream err) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals("-c") || args[i].equals("--config")) {
                return Path.of(args[i + 1]);
            }
        }
        err.println("pharos: missing -c FILE");
        return null;
    }

    /** The config file named by {@code -c FILE} and its contents. */
    private record ConfigFile(Path file, PharosConfig config) {
    }

    /** Reads {@code -c FILE} from {@code args} and loads it; null, with the reason on {@code err}, when missing or invalid. */
    private static ConfigFile load(String[] args, PrintStream err) {
        Path file = configArg(args, err);
        if (file == null) {
            return null;
        }
        try {
            return new ConfigFile(file, ConfigLoader.load(file));
        } catch (ConfigException e) {
            err.println("pharos: invalid config " + file + ":");
            for (String p : e.problems()) {
                err.println("  " + p);
            }
            return null;
        }
    }

    private static int check(String[] args, PrintStream out, PrintStream err) {
        Path file = configArg(args, err);
        return file == null ? EXIT_CONFIG : ConfigCheck.withDns(out, err).run(file);
    }

    private static int proxy(String[] args, PrintStream err) throws Exception {
        ConfigFile loaded = load(args, err);
        if (loaded == null) {
            return EXIT_CONFIG;
        }
        PharosConfig config = loaded.config();
        Logger.getLogger(Main.class.getName()).fine(() -> "config " + loaded.file() + ": " + config);
        ProxyRuntime runtime;
        try {
            runtime = ProxyRuntime.start(config);
        } catch (IllegalStateException | IOException e) {
            err.println("pharos: " + e.getMessage());
            return EXIT_FAILURE;
        }
        // the signal thread only posts: the reload itself runs on the runtime's control thread
        Signal.handle(new Signal("HUP"), s -> runtime.reloadAsync());
        AdminServer admin;
        try {
            admin = AdminServer.start(config.admin(), runtime, runtime);
        } catch (IllegalStateException e) {
            err.println("pharos: " + e.getMessage());
            runtime.close();
            return EXIT_FAILURE;
        }
        waitForTermination(() -> {
            try {
                runtime.shutdownGracefully();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                runtime.close();
            } finally {
                admin.close();
            }
        });
        return EXIT_OK;
    }

    /** Blocks until SIGTERM or SIGINT, then runs {@code stop} on this (the main) thread. */
    static void waitForTermination(Runnable stop) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> done.countDown());
        Signal.handle(new Signal("INT"), s -> done.countDown());
        done.await();
        stop.run();
    }

    private static int demo(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (args.length > 0 && args[0].equals("continuity")) {
            return ContinuityDemo.run(Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        int port = 8080;
        int adminPort = DEMO_ADMIN_PORT;
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].equals("--port") && !args[i].equals("--admin-port")) {
                err.println("pharos demo: unknown argument '" + args[i] + "' (see pharos demo --help)");
                return EXIT_CONFIG;
            }
            if (i + 1 >= args.length) {
                err.println("pharos demo: " + args[i] + " needs a value");
                return EXIT_CONFIG;
            }
            int n;
            try {
                n = Integer.parseInt(args[i + 1]);
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 0 || n > 65535) {
                err.println("pharos demo: " + args[i] + ": not a port: '" + args[i + 1] + "'");
                return EXIT_CONFIG;
            }
            if (args[i].equals("--port")) {
                port = n;
            } else {
                adminPort = n;
            }
        }
        Transport transport = Transport.best();
        var group = transport.newGroup(1, "pharos-demo-backends");
        List<DemoBackend> backends = new ArrayList<>();
        ProxyRuntime runtime = null;
        AdminServer admin = null;
        try {
            StringBuilder list = new StringBuilder();
            for (int i = 1; i <= 3; i++) {
                DemoBackend b = DemoBackend.start("demo-" + i, "127.0.0.1", 0, group, transport);
                backends.add(b);
                list.append("        { name = ").append(b.name()).append(", address = \"127.0.0.1:")
                        .append(b.address().getPort()).append("\" }\n");
            }
            String hocon = "pharos {\n"
                    + "  workers = 1\n"
                    + "  admin { listen = \"127.0.0.1:" + adminPort + "\" }\n"
                    + "  listeners = [ { name = web, listen = \"127.0.0.1:" + port + "\", protocol = http, cluster = app } ]\n"
                    + "  clusters { app {\n"
                    + "      balancer = round-robin\n"
                    + "      backends = [\n" + list + "      ]\n"
                    + "  } }\n"
                    + "}\n";
            PharosConfig config = ConfigLoader.parse(hocon);
            try {
                runtime = ProxyRuntime.start(config);
            } catch (IllegalStateException e) {
                err.println("pharos demo: " + e.getMessage() + " (is something else on port " + port + "? try --port N)");
                return EXIT_FAILURE;
            }
            try {
                admin = AdminServer.start(config.admin(), runtime, runtime);
            } catch (IllegalStateException e) {
                err.println("pharos demo: " + e.getMessage() + " (is something else on port " + adminPort + "? try --admin-port N)");
                return EXIT_FAILURE;
            }
            printDemo(out, port, admin.localAddress().getPort(), runtime.server().transport().name(), backends);
            waitForTermination(() -> {
            });
            return EXIT_OK;
        } catch (ConfigException e) {
            err.println("pharos demo: " + e.getMessage());
            return EXIT_FAILURE;
        } finally {
            if (admin != null) {
                admin.close();
            }
            if (runtime != null) {
                runtime.close();
            }
            for (DemoBackend b : backends) {
                b.close();
            }
            group.shutdownGracefully();
        }
    }

    private static void printDemo(PrintStream out, int port, int adminPort, String transport, List<DemoBackend> backends) {
        String adminUrl = "http://127.0.0.1:" + adminPort;
        out.println("pharos demo: proxy listening on http://127.0.0.1:" + port + "/ (round-robin, transport " + transport + ")");
        for (DemoBackend b : backends) {
            out.println("  backend " + b.name() + " on http://" + b.address().getHostString() + ":" + b.address().getPort() + "/");
        }
        out.println("pharos demo: admin API on " + adminUrl + "/ (docs/operations.md, \"Admin API\")");
        out.println("try:    for i in 1 2 3 4 5 6; do curl -s http://127.0.0.1:" + port + "/; done");
        out.println("        curl -s " + adminUrl + "/status");
        out.println("        curl -s " + adminUrl + "/clusters/app");
        out.println("drain:  curl -s -X POST " + adminUrl + "/clusters/app/backends/demo-2/drain   (undo: .../ready)");
        out.println("weight: curl -s -X PUT -d '{\"weight\": 3}' " + adminUrl + "/clusters/app/backends/demo-1/weight");
        out.println("stop:   Ctrl-C (or kill " + ProcessHandle.current().pid() + ")");
        out.flush();
    }
}
