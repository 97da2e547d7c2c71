package io.pharos.proxy.testing;

import io.netty.channel.EventLoopGroup;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.server.PharosServer;
import io.pharos.proxy.transport.Transport;

import java.util.ArrayList;
import java.util.List;

/**
 * An in-process proxy plus real test backends on loopback, torn down by {@link #close()}. The HOCON
 * is built by the caller; {@code %BACKENDS%} is replaced with the backends list.
 */
public final class ProxyHarness implements AutoCloseable {
    private final EventLoopGroup backendGroup = Transport.best().newGroup(1, "test-backends");
    private final List<TestBackend> backends = new ArrayList<>();
    private PharosServer server;

    public TestBackend addBackend(String name) throws InterruptedException {
        TestBackend b = TestBackend.start(name, backendGroup);
        backends.add(b);
        return b;
    }

    public EventLoopGroup backendGroup() {
        return backendGroup;
    }

    public List<TestBackend> backends() {
        return backends;
    }

    /** The backends as a HOCON list body: {@code { name = b1, address = "127.0.0.1:P" }} lines. */
    public String backendsHocon() {
        StringBuilder sb = new StringBuilder();
        for (TestBackend b : backends) {
            sb.append("{ name = ").append(b.name()).append(", address = \"").append(b.address()).append("\" }\n");
        }
        return sb.toString();
    }

    /** A config with one HTTP listener {@code web} on a free port over cluster {@code app} with the backends. */
    public String simpleConfig(String clusterExtra, String pharosExtra) {
        return "pharos {\n workers = 2\n" + pharosExtra + "\n"
                + " listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app } ]\n"
                + " clusters { app {\n backends = [\n" + backendsHocon() + " ]\n" + clusterExtra + "\n } }\n}\n";
    }

    public PharosServer start(String hocon) throws Exception {
        PharosConfig config = ConfigLoader.parse(hocon);
        server = PharosServer.start(config);
        return server;
    }

    public PharosServer server() {
        return server;
    }

    public int port(String listener) {
        return server.listener(listener).localAddress().getPort();
    }

    public int port() {
        return port("web");
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        for (TestBackend b : backends) {
            b.close();
        }
        backendGroup.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly(5, java.util.concurrent.TimeUnit.SECONDS);
    }
}
