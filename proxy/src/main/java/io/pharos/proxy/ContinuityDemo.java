package io.pharos.proxy;

import io.pharos.proxy.admin.AdminServer;
import io.pharos.proxy.config.ConfigException;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.demo.KvApp;
import io.pharos.proxy.server.ProxyRuntime;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code pharos demo continuity [--port N] [--mode sync|async]}: data continuity on loopback, two regions
 * in this process. Region {@code zurich}: a proxy on port N over two {@link KvApp} instances sharing a
 * store; region {@code frankfurt}: the same on N+1; each proxy the other's peer (continuity listeners on
 * N+10 and N+11, admin APIs on N+20 and N+21). A write to either region is applied in the other.
 * Everything lives in a temporary directory that is deleted at exit.
 */
final class ContinuityDemo {
    private static final String[] REGIONS = {"zurich", "frankfurt"};

    private ContinuityDemo() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        int port = 8080;
        String mode = "sync";
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals("--port")) {
                port = Integer.parseInt(args[i + 1]);
            } else if (args[i].equals("--mode")) {
                mode = args[i + 1];
            }
        }
        Path dir = Files.createTempDirectory("pharos-demo-continuity");
        String token = UUID.randomUUID().toString();
        List<KvApp> apps = new ArrayList<>();
        List<ProxyRuntime> proxies = new ArrayList<>();
        List<AdminServer> admins = new ArrayList<>();
        try {
            for (int r = 0; r < 2; r++) {
                String region = REGIONS[r];
                StringBuilder backends = new StringBuilder();
                for (int i = 1; i <= 2; i++) {
                    KvApp app = KvApp.start(new InetSocketAddress("127.0.0.1", 0), dir.resolve(region + "-store"), region + "-" + i);
                    apps.add(app);
                    backends.append("{ name = ").append(app.name()).append(", address = \"127.0.0.1:").append(app.port()).append("\" }\n");
                }
                PharosConfig config = ConfigLoader.parse(config(region, port + r, port + 10 + r, port + 11 - r, port + 20 + r,
                        token, mode, dir.resolve(region + "-journal"), backends.toString()));
                ProxyRuntime rt = ProxyRuntime.start(config);
                proxies.add(rt);
                admins.add(AdminServer.start(config.admin(), rt, rt));
            }
            out.println("pharos demo continuity (" + mode + "): region zurich on http://127.0.0.1:" + port
                    + "/, region frankfurt on http://127.0.0.1:" + (port + 1) + "/, each over two kv instances");
            out.println("write in zurich:     curl -si -X PUT --data hello http://127.0.0.1:" + port + "/kv/greeting");
            out.println("read in frankfurt:   curl -s http://127.0.0.1:" + (port + 1) + "/kv/greeting");
            out.println("watch continuity:    curl -s http://127.0.0.1:" + (port + 20) + "/continuity   (frankfurt: " + (port + 21) + ")");
            out.println("files:               " + dir);
            out.println("stop: Ctrl-C (or kill " + ProcessHandle.current().pid() + ")");
            out.flush();
            Main.waitForTermination(() -> {
            });
            return Main.EXIT_OK;
        } catch (ConfigException e) {
            err.println("pharos demo continuity: " + e.getMessage());
            return Main.EXIT_FAILURE;
        } catch (IllegalStateException | IOException e) {
            err.println("pharos demo continuity: " + e.getMessage() + " (are ports " + port + ".." + (port + 21)
                    + " free? try --port N)");
            return Main.EXIT_FAILURE;
        } finally {
            for (AdminServer a : admins) {
                a.close();
            }
            for (ProxyRuntime p : proxies) {
                p.close();
            }
            for (KvApp a : apps) {
                a.close();
            }
            deleteTree(dir);
        }
    }

    private static String config(String region, int listen, int continuityListen, int peerPort, int adminPort, String token,
                                 String mode, Path journal, String backends) {
        return "pharos {\n"
                + "  workers = 1\n"
                + "  admin { listen = \"127.0.0.1:" + adminPort + "\" }\n"
                + "  listeners = [ { name = web, listen = \"127.0.0.1:" + listen + "\", cluster = kv } ]\n"
                + "  continuity {\n"
                + "    region = " + region + "\n"
                + "    listen = \"127.0.0.1:" + continuityListen + "\"\n"
                + "    token = \"" + token + "\"\n"
                + "    peer { url = \"http://127.0.0.1:" + peerPort + "\", token = \"" + token + "\", backoff-max = 1s }\n"
                + "    journal { dir = \"" + journal + "\", max-bytes = 64m, segment-size = 8m }\n"
                + "  }\n"
                + "  clusters { kv {\n"
                + "    backends = [\n" + backends + "    ]\n"
                + "    continuity { mode = " + mode + ", paths = [\"/kv/\"], sync { on-peer-failure = degrade } }\n"
                + "  } }\n"
                + "}\n";
    }

    private static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory: the OS cleans it eventually
        }
    }
}
