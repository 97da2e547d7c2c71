package io.pharos.gtm;

import com.sun.net.httpserver.HttpServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContextBuilder;
import io.pharos.health.active.ProbeResult;
import io.pharos.health.config.HostPort;
import io.pharos.gtm.GtmConfig.Probe;
import io.pharos.gtm.GtmConfig.ProbeType;
import io.pharos.proxy.tls.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** The region probes against real sockets on 127.0.0.2 (and 127.0.0.1 for TLS, where the test certificates point). */
class RegionProbeIT {
    private static EventLoopGroup group;

    @BeforeAll
    static void start() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static ProbeResult run(Probe p, Duration timeout) throws Exception {
        return RegionProbe.of(p, group, timeout).probe().get(30, TimeUnit.SECONDS);
    }

    @Test
    void httpProbeChecksTheStatus() throws Exception {
        AtomicInteger status = new AtomicInteger(200);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0), 16);
        server.createContext("/healthz", ex -> {
            ex.sendResponseHeaders(status.get(), -1);
            ex.close();
        });
        server.start();
        try {
            URI url = URI.create("http://127.0.0.2:" + server.getAddress().getPort() + "/healthz");
            Probe p = new Probe(ProbeType.HTTP, Optional.of(url), List.of(200, 204), Optional.empty(), Optional.empty());
            assertEquals(ProbeResult.OK, run(p, Duration.ofSeconds(5)));
            status.set(500);
            assertEquals(ProbeResult.failed("status 500"), run(p, Duration.ofSeconds(5)));
            status.set(204);
            assertTrue(run(p, Duration.ofSeconds(5)).ok());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void refusedAndSilentServersFail() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.2"))) {
            closedPort = s.getLocalPort();
        }
        Probe http = new Probe(ProbeType.HTTP, Optional.of(URI.create("http://127.0.0.2:" + closedPort + "/")), List.of(200), Optional.empty(), Optional.empty());
        assertEquals(ProbeResult.failed("connect refused"), run(http, Duration.ofSeconds(5)));
        Probe tcp = new Probe(ProbeType.TCP, Optional.empty(), List.of(), Optional.of(new HostPort("127.0.0.2", closedPort)), Optional.empty());
        assertEquals(ProbeResult.failed("connect refused"), run(tcp, Duration.ofSeconds(5)));

        try (ServerSocket silent = new ServerSocket(0, 16, InetAddress.getByName("127.0.0.2"))) {
            Probe blackHole = new Probe(ProbeType.HTTP, Optional.of(URI.create("http://127.0.0.2:" + silent.getLocalPort() + "/")),
                    List.of(200), Optional.empty(), Optional.empty());
            assertEquals(ProbeResult.TIMEOUT, run(blackHole, Duration.ofMillis(300)));
            Probe tcpOk = new Probe(ProbeType.TCP, Optional.empty(), List.of(), Optional.of(new HostPort("127.0.0.2", silent.getLocalPort())), Optional.empty());
            assertEquals(ProbeResult.OK, run(tcpOk, Duration.ofSeconds(5)));
        }
    }

    @Test
    void httpsProbeVerifiesTheRegionAgainstTheConfiguredCa(@TempDir Path dir) throws Exception {
        TestPki pki = TestPki.create(dir);
        TestPki.Leaf leaf = pki.leaf("region", "region.test");
        try (RegionServer region = new RegionServer("127.0.0.1",
                SslContextBuilder.forServer(leaf.cert().toFile(), leaf.key().toFile()).build()).start()) {
            URI url = URI.create(region.url());
            assertEquals("https", url.getScheme());
            Probe trusting = new Probe(ProbeType.HTTP, Optional.of(url), List.of(200), Optional.empty(), Optional.of(pki.caCert()));
            assertEquals(ProbeResult.OK, run(trusting, Duration.ofSeconds(5)));
            Probe jvmTrust = new Probe(ProbeType.HTTP, Optional.of(url), List.of(200), Optional.empty(), Optional.empty());
            ProbeResult untrusted = run(jvmTrust, Duration.ofSeconds(5));
            assertFalse(untrusted.ok(), untrusted.toString());
            assertTrue(untrusted.reason().startsWith("tls: "), untrusted.toString());
        }
    }

    @Test
    void httpsProbeChecksTheHostName(@TempDir Path dir) throws Exception {
        TestPki pki = TestPki.create(dir);
        TestPki.Leaf leaf = pki.leaf("region", "region.test", "region.test");
        try (RegionServer region = new RegionServer("127.0.0.1",
                SslContextBuilder.forServer(leaf.cert().toFile(), leaf.key().toFile()).build()).start()) {
            URI byAddress = URI.create(region.url());
            URI otherName = URI.create(region.url().replace("127.0.0.1", "localhost"));
            Probe good = new Probe(ProbeType.HTTP, Optional.of(byAddress), List.of(200), Optional.empty(), Optional.of(pki.caCert()));
            assertEquals(ProbeResult.OK, run(good, Duration.ofSeconds(5)));
            Probe wrongName = new Probe(ProbeType.HTTP, Optional.of(otherName), List.of(200), Optional.empty(), Optional.of(pki.caCert()));
            ProbeResult r = run(wrongName, Duration.ofSeconds(5));
            assertFalse(r.ok(), "the certificate does not name localhost: " + r);
            assertTrue(r.reason().startsWith("tls: "), r.toString());
        }
    }
}
