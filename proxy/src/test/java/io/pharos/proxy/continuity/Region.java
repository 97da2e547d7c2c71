package io.pharos.proxy.continuity;

import io.pharos.health.testing.Await;
import io.pharos.proxy.admin.TestJson;
import io.pharos.proxy.testing.ProxyProcess;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One region of a continuity test, as separate processes on loopback: a Pharos proxy and two instances
 * of the reference key-value app ({@code io.pharos.proxy.demo.KvApp}) over one store directory. The proxy
 * serves cluster {@code kv} (the two instances, replicated as the test says) on listener {@code web}, and
 * the same instances as cluster {@code plain} (never replicated) on a second listener. Ports are picked
 * when the region is made, so two regions can name each other as peers before either starts.
 *
 * <p>{@link #close()} kills every process still running ({@code kill -9}) and is safe after any failure.
 * Used by one test thread.
 */
final class Region implements AutoCloseable {
    static final String CLUSTER = "kv";
    private static final List<String> APP_JVM = List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    private static final List<String> PROXY_JVM = List.of("-Xmx128m", "-XX:+UseSerialGC");
    private static final Duration START = Duration.ofSeconds(60);

    final String name;
    final Path dir;
    final int adminPort;
    final int webPort;
    final int plainPort;
    final int continuityPort;
    final int[] appPorts;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    /** Written by the test thread only, as are the fields below. */
    private ProxyProcess proxy;
    private final List<ProxyProcess> apps = new ArrayList<>();
    private final List<String> deadLogs = new ArrayList<>();
    private int configs;

    Region(String name, Path dir) throws IOException {
        this.name = name;
        this.dir = Files.createDirectories(dir);
        this.adminPort = ProxyProcess.freePort();
        this.webPort = ProxyProcess.freePort();
        this.plainPort = ProxyProcess.freePort();
        this.continuityPort = ProxyProcess.freePort();
        this.appPorts = new int[] {ProxyProcess.freePort(), ProxyProcess.freePort()};
    }

    Path store() {
        return dir.resolve("store");
    }

    /** {@code continuity.journal.dir}: the region's own journal is under it, and each peer's inbound copy. */
    Path journalDir() {
        return dir.resolve("journal");
    }

    /** The region's own journal (checked against {@code GET /continuity}'s {@code journal.dir} at every start). */
    Path journal() {
        return journalDir().resolve("outbound");
    }

    /** What this region's continuity listener requires from the peer (at least 16 characters). */
    String token() {
        return name + "-token-0123456789";
    }

    URI web() {
        return URI.create("http://127.0.0.1:" + webPort);
    }

    URI plain() {
        return URI.create("http://127.0.0.1:" + plainPort);
    }

    /**
     * This region's config: cluster {@code kv} with {@code continuity { partition-key = path, CLUSTER }},
     * shipping to {@code peerUrl} with {@code peerToken}, {@code journal { dir, JOURNAL }}. Shipping and
     * applying back off at most 1 s, so catching up after a restart is quick.
     */
    String config(String peerUrl, String peerToken, String cluster, String journal) {
        String backends = "[ { name = " + name + "-app-1, address = \"127.0.0.1:" + appPorts[0] + "\" },"
                + " { name = " + name + "-app-2, address = \"127.0.0.1:" + appPorts[1] + "\" } ]";
        return """
                pharos {
                  admin { listen = "127.0.0.1:%d" }
                  listeners = [
                    { name = web, listen = "127.0.0.1:%d", protocol = http, cluster = kv }
                    { name = plain, listen = "127.0.0.1:%d", protocol = http, cluster = plain }
                  ]
                  continuity {
                    region = %s
                    listen = "127.0.0.1:%d"
                    token = "%s"
                    peer { url = "%s", token = "%s", backoff-min = 50ms, backoff-max = 1s }
                    journal { dir = "%s", %s }
                    apply { backoff-min = 50ms, backoff-max = 1s }
                  }
                  clusters {
                    kv { backends = %s, continuity { partition-key = path, %s } }
                    plain { backends = %s }
                  }
                }
                """.formatted(adminPort, webPort, plainPort, name, continuityPort, token(), peerUrl, peerToken,
                journalDir(), journal, backends, cluster, backends);
    }

    /** {@link #config(String, String, String, String)} shipping to {@code peer}'s continuity listener. */
    String config(Region peer, String cluster, String journal) {
        return config("http://127.0.0.1:" + peer.continuityPort, peer.token(), cluster, journal);
    }

    /**
     * Starts two regions, each the other's peer, cluster {@code kv} with {@code continuity { CLUSTER }} in both:
     * the apps of both, then {@code b}'s proxy, then {@code a}'s. Returns {@code a}'s config (to restart it on).
     */
    static String startPair(Region a, Region b, String cluster) throws Exception {
        a.startApps();
        b.startApps();
        String configA = a.config(b, cluster, "");
        b.startProxy(b.config(a, cluster, ""));
        a.startProxy(configA);
        return configA;
    }

    /** Starts the two app instances on the store (left as it is: a restart recovers it) and waits until both serve. */
    void startApps() throws Exception {
        for (int i = 0; i < 2; i++) {
            apps.add(ProxyProcess.startMain("io.pharos.proxy.demo.KvApp", APP_JVM, "--listen", "127.0.0.1:" + appPorts[i],
                    "--store", store().toString(), "--name", name + "-app-" + (i + 1)));
        }
        for (int i = 0; i < 2; i++) {
            apps.get(apps.size() - 2 + i).awaitPort(appPorts[i], START);
        }
    }

    /** Starts the proxy on {@code config} (written to a new file) and waits until its listener and admin serve. */
    void startProxy(String config) throws Exception {
        proxy = ProxyProcess.start(PROXY_JVM, "proxy", "-c", writeConfig(config).toString());
        awaitProxy();
    }

    /** As {@link #startProxy(String)}, under {@code ulimit -f kib} (see {@link ProxyProcess#startWithFileSizeLimit}). */
    void startProxyWithFileSizeLimit(long kib, String config) throws Exception {
        proxy = ProxyProcess.startWithFileSizeLimit(kib, PROXY_JVM, "proxy", "-c", writeConfig(config).toString());
        awaitProxy();
    }

    private Path writeConfig(String config) throws IOException {
        return Files.writeString(dir.resolve("pharos-" + (++configs) + ".conf"), config);
    }

    private void awaitProxy() throws Exception {
        proxy.awaitPort(webPort, START);
        proxy.awaitPort(adminPort, START);
        Object reported = TestJson.at(continuity(), "journal", "dir");
        if (!journal().toString().equals(reported)) {
            throw new AssertionError(name + ": the tests read the journal in " + journal() + ", GET /continuity says " + reported);
        }
    }

    /** {@code kill -9} of the proxy, then of both app instances, one right after the other. */
    void killAll() throws Exception {
        killProxy();
        for (ProxyProcess app : apps) {
            app.kill();
        }
        for (ProxyProcess app : apps) {
            deadLogs.add(app.output());
            app.close();
        }
        apps.clear();
    }

    /** {@code kill -9} of the proxy. */
    void killProxy() throws Exception {
        if (proxy != null) {
            proxy.kill();
            deadLogs.add(proxy.output());
            proxy.close();
            proxy = null;
        }
    }

    /** SIGSTOP (true) or SIGCONT (false) to the proxy: a region cut off and back, its state intact. */
    void pauseProxy(boolean pause) throws Exception {
        proxy.signal(pause ? "STOP" : "CONT");
    }

    /** {@code GET /continuity} on the admin API, parsed. */
    Map<String, Object> continuity() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/continuity"))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new AssertionError(name + ": GET /continuity answered " + r.statusCode() + ": " + r.body());
        }
        return TestJson.object(r.body());
    }

    /** The {@code inbound[]} entry of {@code origin} in {@code continuity}, or null when there is none yet. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> inbound(Map<String, Object> continuity, String origin) {
        for (Object o : TestJson.list(continuity, "inbound")) {
            if (o instanceof Map<?, ?> m && origin.equals(m.get("origin"))) {
                return (Map<String, Object>) m;
            }
        }
        return null;
    }

    /** The last sequence in this region's own journal, read from the disk (the admin API's figures are a snapshot). */
    long journalLast() {
        var records = JournalFiles.records(journal());
        return records.isEmpty() ? 0 : records.lastKey();
    }

    /** Waits until the shipper to the peer reports it available (sync writes are refused until then). */
    void awaitPeerAvailable() throws Exception {
        Await.until(START, name + ": outbound.available", () -> Boolean.TRUE.equals(TestJson.at(continuity(), "outbound", "available")));
    }

    /**
     * Waits until this region applied everything it received from {@code origin} ({@code applied == received},
     * nothing pending) and at least {@code atLeast} records; returns that inbound entry.
     */
    Map<String, Object> awaitApplied(String origin, long atLeast, Duration timeout) throws Exception {
        return Await.value(timeout, name + ": inbound from " + origin + " applied == received >= " + atLeast + "\n" + logs(),
                () -> inbound(continuity(), origin),
                in -> in != null && TestJson.number(in, "received") >= atLeast
                        && TestJson.number(in, "applied") == TestJson.number(in, "received")
                        && !(TestJson.at(in, "pending") instanceof Long p && p != 0));
    }

    /** Sends one request to {@code base} (a listener of this region or any URL); IO errors propagate. */
    HttpResponse<String> send(URI base, String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(15))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The last lines of every process log of this region (for failure messages). */
    String logs() {
        StringBuilder b = new StringBuilder();
        List<String> all = new ArrayList<>(deadLogs);
        try {
            if (proxy != null) {
                all.add(proxy.output());
            }
            for (ProxyProcess app : apps) {
                all.add(app.output());
            }
        } catch (IOException e) {
            all.add("(log unreadable: " + e + ")");
        }
        for (String log : all) {
            String[] lines = log.split("\n");
            b.append("---- ").append(name).append('\n');
            for (int i = Math.max(0, lines.length - 30); i < lines.length; i++) {
                b.append(lines[i]).append('\n');
            }
        }
        return b.toString();
    }

    @Override
    public void close() throws Exception {
        Exception first = null;
        List<ProxyProcess> all = new ArrayList<>(apps);
        if (proxy != null) {
            all.add(0, proxy);
        }
        for (ProxyProcess p : all) {
            try {
                p.kill();
                p.close();
            } catch (Exception e) {
                first = first == null ? e : first;
            }
        }
        apps.clear();
        proxy = null;
        http.close();
        if (first != null) {
            throw first;
        }
    }
}
