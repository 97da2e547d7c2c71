package io.pharos.gtm;

import com.sun.net.httpserver.HttpServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.pharos.health.config.HostPort;
import io.pharos.gtm.GtmConfig.Probe;
import io.pharos.gtm.GtmConfig.ProbeType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** The region probes against real sockets on 127.0.0.2. */
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

    private static RegionProbe.Result run(Probe p, Duration timeout) throws Exception {
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
            Probe p = new Probe(ProbeType.HTTP, Optional.of(url), List.of(200, 204), Optional.empty());
            assertEquals(new RegionProbe.Result(true, "status 200"), run(p, Duration.ofSeconds(5)));
            status.set(500);
            assertEquals(new RegionProbe.Result(false, "status 500"), run(p, Duration.ofSeconds(5)));
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
        Probe http = new Probe(ProbeType.HTTP, Optional.of(URI.create("http://127.0.0.2:" + closedPort + "/")), List.of(200), Optional.empty());
        assertEquals(new RegionProbe.Result(false, "connect refused"), run(http, Duration.ofSeconds(5)));
        Probe tcp = new Probe(ProbeType.TCP, Optional.empty(), List.of(), Optional.of(new HostPort("127.0.0.2", closedPort)));
        assertEquals(new RegionProbe.Result(false, "connect refused"), run(tcp, Duration.ofSeconds(5)));

        try (ServerSocket silent = new ServerSocket(0, 16, InetAddress.getByName("127.0.0.2"))) {
            Probe blackHole = new Probe(ProbeType.HTTP, Optional.of(URI.create("http://127.0.0.2:" + silent.getLocalPort() + "/")),
                    List.of(200), Optional.empty());
            assertEquals(new RegionProbe.Result(false, "timeout"), run(blackHole, Duration.ofMillis(300)));
            Probe tcpOk = new Probe(ProbeType.TCP, Optional.empty(), List.of(), Optional.of(new HostPort("127.0.0.2", silent.getLocalPort())));
            assertEquals(new RegionProbe.Result(true, "connected"), run(tcpOk, Duration.ofSeconds(5)));
        }
    }
}
