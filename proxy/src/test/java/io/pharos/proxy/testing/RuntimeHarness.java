package io.pharos.proxy.testing;

import io.netty.channel.EventLoopGroup;
import io.pharos.health.testing.Await;
import io.pharos.proxy.admin.AdminServer;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.server.ProxyRuntime;
import io.pharos.proxy.transport.Transport;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An in-process operated proxy: {@link ProxyRuntime} and {@link AdminServer} over a config file in a
 * temporary directory (so reloads re-read it), with real {@link TestBackend}s. Torn down by {@link #close()}.
 */
public final class RuntimeHarness implements AutoCloseable {
    private final EventLoopGroup backendGroup = Transport.best().newGroup(1, "test-backends");
    private final List<TestBackend> backends = new ArrayList<>();
    private final Path dir;
    private final Path configFile;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private ProxyRuntime runtime;
    private AdminServer admin;

    public RuntimeHarness() throws Exception {
        dir = Files.createTempDirectory("pharos-rt");
        configFile = dir.resolve("pharos.conf");
    }

    public TestBackend addBackend(String name) throws InterruptedException {
        TestBackend b = TestBackend.start(name, backendGroup);
        backends.add(b);
        return b;
    }

    public TestBackend backend(String name) {
        return backends.stream().filter(b -> b.name().equals(name)).findFirst().orElseThrow();
    }

    public Path dir() {
        return dir;
    }

    public Path configFile() {
        return configFile;
    }

    /** {@code { name = N, address = "A" }} for each named backend. */
    public String backendsHocon(String... names) {
        StringBuilder sb = new StringBuilder();
        for (String n : names) {
            sb.append("{ name = ").append(n).append(", address = \"").append(backend(n).address()).append("\" }\n");
        }
        return sb.toString();
    }

    /** Writes the config file atomically (a reload never sees half of it). */
    public void writeConfig(String hocon) throws Exception {
        Path tmp = Files.createTempFile(dir, "next", ".conf");
        Files.writeString(tmp, hocon);
        Files.move(tmp, configFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    public ProxyRuntime start(String hocon) throws Exception {
        writeConfig(hocon);
        PharosConfig config = ConfigLoader.load(configFile);
        runtime = ProxyRuntime.start(config);
        admin = AdminServer.start(config.admin(), runtime, runtime);
        return runtime;
    }

    /** Stops runtime and admin (backends stay) so a test can start again over the same files. */
    public void stopProxy() {
        if (admin != null) {
            admin.close();
            admin = null;
        }
        if (runtime != null) {
            runtime.close();
            runtime = null;
        }
    }

    public ProxyRuntime runtime() {
        return runtime;
    }

    public AdminServer admin() {
        return admin;
    }

    public int port(String listener) {
        return runtime.server().listener(listener).localAddress().getPort();
    }

    public int adminPort() {
        return admin.localAddress().getPort();
    }

    /** An admin request; {@code body} null for none; {@code headers} as name, value pairs. */
    public HttpResponse<String> admin(String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort() + path))
                .timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public String get(String path) throws Exception {
        HttpResponse<String> r = admin("GET", path, null);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + path + ": " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    /**
     * The backend's request count once it stopped changing for 500 ms (at most 15 s): requests picked
     * just before a snapshot swap may still be on their way when the swap is observed.
     */
    public static int stableRequests(TestBackend b) throws InterruptedException {
        return (int) Await.steady(Duration.ofSeconds(15), Duration.ofMillis(500), b.name() + "'s request count", b::requests);
    }

    @Override
    public void close() throws Exception {
        stopProxy();
        for (TestBackend b : backends) {
            b.close();
        }
        backendGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }
}
