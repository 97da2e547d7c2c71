package io.pharos.health.active;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.pharos.health.EndpointId;
import io.pharos.health.HealthState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The probes against real loopback sockets: a tiny Netty HTTP server, a refused port, a black hole. */
class ProbeIT {
    private static EventLoopGroup group;
    private static Channel plainServer;
    private static Channel tlsServer;
    private static final List<FullHttpRequest> seen = new CopyOnWriteArrayList<>();
    private static final List<String> seenHosts = new CopyOnWriteArrayList<>();
    private static SelfSignedCertificate certificate;

    /** Answers {@code /status/N} with N, {@code /body} with "all systems go", anything else 200 "ok". */
    static final class TinyHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            seenHosts.add(req.method() + " " + req.uri() + " " + req.headers().get(HttpHeaderNames.HOST));
            int status = 200;
            String body = "ok";
            if (req.uri().startsWith("/status/")) {
                status = Integer.parseInt(req.uri().substring("/status/".length()));
            } else if (req.uri().equals("/body")) {
                body = "all systems go";
            }
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, resp.content().readableBytes());
            ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @BeforeAll
    static void startServers() throws Exception {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        plainServer = server(null);
        certificate = new SelfSignedCertificate("localhost");
        tlsServer = server(SslContextBuilder.forServer(certificate.certificate(), certificate.privateKey()).build());
    }

    private static Channel server(SslContext ssl) throws InterruptedException {
        return new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (ssl != null) {
                            ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16), new TinyHandler());
                    }
                })
                .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
    }

    @AfterAll
    static void stopServers() throws Exception {
        if (plainServer != null) {
            plainServer.close().sync();
        }
        if (tlsServer != null) {
            tlsServer.close().sync();
        }
        if (certificate != null) {
            certificate.delete();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private static InetSocketAddress address(Channel server) {
        return (InetSocketAddress) server.localAddress();
    }

    private static ProbeResult run(Probe probe, InetSocketAddress address) throws Exception {
        EventLoop loop = group.next();
        CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        loop.execute(() -> probe.start(loop, address, result::complete));
        return result.get(20, TimeUnit.SECONDS);
    }

    private static int refusedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Probe http(HttpCheckSpec spec) {
        return Probe.http(spec, NioSocketChannel::new, null);
    }

    @Test
    void tcpProbePassesOnConnect() throws Exception {
        assertEquals(ProbeResult.OK, run(Probe.tcp(NioSocketChannel::new), address(plainServer)));
    }

    @Test
    void tcpProbeFailsOnRefusedPort() throws Exception {
        InetSocketAddress refused = new InetSocketAddress(InetAddress.getLoopbackAddress(), refusedPort());
        assertEquals(ProbeResult.failed("connect refused"), run(Probe.tcp(NioSocketChannel::new), refused));
    }

    @Test
    void httpProbeChecksStatusWithMethodPathAndHostHeader() throws Exception {
        assertEquals(ProbeResult.OK, run(http(HttpCheckSpec.get("/healthz")), address(plainServer)));
        assertTrue(seenHosts.contains("GET /healthz 127.0.0.1:" + address(plainServer).getPort()), seenHosts.toString());
        HttpCheckSpec head = new HttpCheckSpec("HEAD", "/status/204", Optional.of("app.example"),
                List.of(new StatusRange(204, 204)), Optional.empty());
        assertEquals(ProbeResult.OK, run(http(head), address(plainServer)));
        assertTrue(seenHosts.contains("HEAD /status/204 app.example"), seenHosts.toString());
        assertEquals(ProbeResult.failed("status 500"), run(http(HttpCheckSpec.get("/status/500")), address(plainServer)));
        assertEquals(ProbeResult.failed("status 404"), run(http(HttpCheckSpec.get("/status/404")), address(plainServer)));
        HttpCheckSpec only404 = new HttpCheckSpec("GET", "/status/404", Optional.empty(),
                List.of(new StatusRange(200, 299), new StatusRange(404, 404)), Optional.empty());
        assertEquals(ProbeResult.OK, run(http(only404), address(plainServer)));
    }

    @Test
    void httpProbeChecksTheBody() throws Exception {
        HttpCheckSpec match = new HttpCheckSpec("GET", "/body", Optional.empty(),
                List.of(new StatusRange(200, 399)), Optional.of("systems go"));
        assertEquals(ProbeResult.OK, run(http(match), address(plainServer)));
        HttpCheckSpec mismatch = new HttpCheckSpec("GET", "/body", Optional.empty(),
                List.of(new StatusRange(200, 399)), Optional.of("systems down"));
        assertEquals(ProbeResult.failed("body mismatch"), run(http(mismatch), address(plainServer)));
    }

    @Test
    void httpProbeFailsOnRefusedPort() throws Exception {
        InetSocketAddress refused = new InetSocketAddress(InetAddress.getLoopbackAddress(), refusedPort());
        assertEquals(ProbeResult.failed("connect refused"), run(http(HttpCheckSpec.get("/")), refused));
    }

    @Test
    void httpProbeOverTls() throws Exception {
        SslContext client = SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        assertEquals(ProbeResult.OK, run(Probe.http(HttpCheckSpec.get("/tls"), NioSocketChannel::new, client), address(tlsServer)));
        // plain HTTP against the TLS port gets no valid answer
        assertTrue(!run(http(HttpCheckSpec.get("/")), address(tlsServer)).ok());
        // TLS against the plain port fails the handshake
        ProbeResult wrong = run(Probe.http(HttpCheckSpec.get("/"), NioSocketChannel::new, client), address(plainServer));
        assertTrue(!wrong.ok(), wrong.toString());
    }

    @Test
    void blackHoleServerTimesOutAndGoesDownInASession() throws Exception {
        try (ServerSocket blackHole = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), blackHole.getLocalPort());
            CompletableFuture<String> down = new CompletableFuture<>();
            CheckPolicy policy = new CheckPolicy(Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(300),
                    1, 2, 0.15, CheckPolicy.Start.OPTIMISTIC);
            EventLoop loop = group.next();
            try (CheckSession session = CheckSession.start(loop, new EndpointId("app", "hole"), address, policy,
                    http(HttpCheckSpec.get("/")), (id, from, to, reason) -> {
                        if (to == HealthState.UNHEALTHY) {
                            down.complete(from.wireName() + " -> " + to.wireName() + ": " + reason);
                        }
                    })) {
                assertEquals("unknown -> unhealthy: timeout", down.get(20, TimeUnit.SECONDS));
                assertEquals(ProbeResult.TIMEOUT, session.lastResult());
            }
        }
    }

    @Test
    void sessionFollowsARealBackendUpAndDown() throws Exception {
        CompletableFuture<HealthState> up = new CompletableFuture<>();
        CompletableFuture<String> down = new CompletableFuture<>();
        CheckPolicy policy = new CheckPolicy(Duration.ofMillis(100), Duration.ofMillis(50), Duration.ofMillis(2000),
                2, 2, 0.15, CheckPolicy.Start.PESSIMISTIC);
        Channel server = server(null);
        InetSocketAddress address = address(server);
        try (CheckSession session = CheckSession.start(group.next(), new EndpointId("app", "b"), address, policy,
                Probe.tcp(NioSocketChannel::new), (id, from, to, reason) -> {
                    if (to == HealthState.HEALTHY) {
                        up.complete(from);
                    } else if (to == HealthState.UNHEALTHY) {
                        down.complete(reason);
                    }
                })) {
            assertEquals(HealthState.UNHEALTHY, up.get(20, TimeUnit.SECONDS));
            server.close().sync();
            assertEquals("connect refused", down.get(20, TimeUnit.SECONDS));
            assertEquals(HealthState.UNHEALTHY, session.state());
        } finally {
            server.close().sync();
        }
    }
}
