package io.pharos.proxy;

import io.pharos.health.event.ipc.EventTail;
import io.pharos.proxy.admin.AdminServer;
import io.pharos.proxy.config.ConfigException;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.continuity.journal.JournalDump;
import io.pharos.proxy.demo.DemoBackend;
import io.pharos.proxy.demo.KvApp;
import io.pharos.proxy.server.PharosServer;
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

/**
 * The command line: {@code pharos proxy -c FILE}, {@code pharos check -c FILE}, {@code pharos demo},
 * {@code pharos events -f FILE}, {@code pharos journal dump DIR}, {@code pharos kv --listen HOST:PORT --store DIR}. ({@code pharos gtm -c FILE} is the sidecar's own entry point, GtmMain in
 * module gtm, which {@code bin/pharos} runs.) Exit codes: 0 ok, 1 runtime failure,
 * 2 invalid config or usage.
 */
public final class Main {
    static final int EXIT_OK = 0;
    static final int EXIT_FAILURE = 1;
    static final int EXIT_CONFIG = 2;

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
        }
        int code = run(args, System.out, System.err);
        if (code >= 0) {
            System.exit(code);
        }
    }

    /** Runs a command; returns its exit code, or -1 when it keeps running (a server). */
    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
            usage(out);
            return args.length == 0 ? EXIT_CONFIG : EXIT_OK;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
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
        s.println("       pharos demo [--port N]   proxy on 127.0.0.1:8080 over three demo backends");
        s.println("       pharos demo continuity [--port N] [--mode sync|async]   two regions replicating writes (data continuity)");
        s.println("       pharos gtm -c FILE       run the GTM sidecar (cross-region DNS failover)");
        s.println("       pharos events -f FILE    print the proxy's health events as they come");
        s.println("       " + JournalDump.usageLine());
        s.println("       " + KvApp.usageLine());
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
            return ContinuityDemo.run(java.util.Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        int port = 8080;
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals("--port")) {
                port = Integer.parseInt(args[i + 1]);
            }
        }
        Transport transport = Transport.best();
        var group = transport.newGroup(1, "pharos-demo-backends");
        List<DemoBackend> backends = new ArrayList<>();
        PharosServer server = null;
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
                    + "  listeners = [ { name = web, listen = \"127.0.0.1:" + port + "\", protocol = http, cluster = app } ]\n"
                    + "  clusters { app {\n"
                    + "      balancer = round-robin\n"
                    + "      backends = [\n" + list + "      ]\n"
                    + "  } }\n"
                    + "}\n";
            PharosConfig config = ConfigLoader.parse(hocon);
            try {
                server = PharosServer.start(config);
            } catch (IllegalStateException e) {
                err.println("pharos demo: " + e.getMessage() + " (is something else on port " + port + "? try --port N)");
                return EXIT_FAILURE;
            }
            out.println("pharos demo: proxy listening on http://127.0.0.1:" + port + "/ (round-robin, transport "
                    + server.transport().name() + ")");
            for (DemoBackend b : backends) {
                out.println("  backend " + b.name() + " on http://" + b.address().getHostString() + ":" + b.address().getPort() + "/");
            }
            out.println("try:  for i in 1 2 3 4 5 6; do curl -s http://127.0.0.1:" + port + "/; done");
            out.println("stop: Ctrl-C (or kill " + ProcessHandle.current().pid() + ")");
            out.flush();
            PharosServer s = server;
            waitForTermination(() -> {
            });
            s.close();
            server = null;
            return EXIT_OK;
        } catch (ConfigException e) {
            err.println("pharos demo: " + e.getMessage());
            return EXIT_FAILURE;
        } finally {
            if (server != null) {
                server.close();
            }
            for (DemoBackend b : backends) {
                b.close();
            }
            group.shutdownGracefully();
        }
    }
}
