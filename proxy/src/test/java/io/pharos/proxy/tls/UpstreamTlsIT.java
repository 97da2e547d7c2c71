package io.pharos.proxy.tls;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.pharos.proxy.l4.SpliceStats;
import io.pharos.proxy.testing.ProxyHarness;
import io.pharos.proxy.transport.Transport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TLS from the proxy to backends: verified against a CA file and the server name (sent as SNI), or explicitly not verified. */
class UpstreamTlsIT {
    @TempDir
    static Path dir;
    static TestPki pki;
    static SslContext backendTls;

    @BeforeAll
    static void pki() throws Exception {
        pki = TestPki.create(dir);
        TestPki.Leaf leaf = pki.leaf("backend", "backend.internal", "backend.internal");
        backendTls = SslContextBuilder.forServer(leaf.cert().toFile(), leaf.key().toFile()).build();
    }

    /** An HTTPS backend answering "secure" and recording the SNI names it was asked for. */
    private static Channel tlsBackend(ProxyHarness h, Queue<String> sni) throws InterruptedException {
        return new ServerBootstrap().group(h.backendGroup()).channel(Transport.best().serverChannel())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new SniHandler(name -> {
                            sni.add(String.valueOf(name));
                            return backendTls;
                        }), new HttpServerCodec(), new HttpObjectAggregator(1 << 16),
                                new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                        var resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                                                Unpooled.copiedBuffer("secure", StandardCharsets.US_ASCII));
                                        resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 6);
                                        ctx.writeAndFlush(resp);
                                    }
                                });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    private static String config(int backendPort, String upstream) {
        return "pharos {\n workers = 1\n listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app }\n"
                + " { name = raw, listen = \"127.0.0.1:0\", protocol = tcp, cluster = app } ]\n"
                + " clusters { app { upstream-tls { " + upstream + " }\n"
                + " backends = [ { name = s, address = \"127.0.0.1:" + backendPort + "\" } ] } }\n}\n";
    }

    private static String get(int port) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            // read up to the body (the test backend keeps its connections open, so a raw TCP relay never ends)
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                sb.append((char) c);
                if (sb.toString().endsWith("\r\n\r\n") && !sb.toString().contains(" 200 ")) {
                    sb.append(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
                    break;
                }
                if (sb.toString().endsWith("secure")) {
                    break;
                }
            }
            return sb.toString();
        }
    }

    @Test
    void verifiesTheBackendAndSendsSni() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            Queue<String> sni = new ConcurrentLinkedQueue<>();
            Channel b = tlsBackend(h, sni);
            int port = ((InetSocketAddress) b.localAddress()).getPort();
            h.start(config(port, "ca-file = \"" + pki.caCert() + "\", server-name = backend.internal"));
            String http = get(h.port("web"));
            assertTrue(http.startsWith("HTTP/1.1 200") && http.endsWith("secure"), http);
            long splicedBefore = SpliceStats.splicedConnections();
            String tcp = get(h.port("raw"));
            assertTrue(tcp.startsWith("HTTP/1.1 200") && tcp.endsWith("secure"), "L4 over TLS: " + tcp);
            assertEquals(splicedBefore, SpliceStats.splicedConnections(), "an L4 relay to a TLS backend is not spliced");
            assertTrue(!sni.isEmpty() && sni.stream().allMatch("backend.internal"::equals), sni.toString());
            b.close().sync();
        }
    }

    @Test
    void refusesABackendWhoseNameOrIssuerDoesNotMatch() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            Channel b = tlsBackend(h, new ConcurrentLinkedQueue<>());
            int port = ((InetSocketAddress) b.localAddress()).getPort();
            h.start(config(port, "ca-file = \"" + pki.caCert() + "\", server-name = other.internal"));
            assertTrue(get(h.port("web")).startsWith("HTTP/1.1 502"), "wrong name");
            b.close().sync();
        }
        try (ProxyHarness h = new ProxyHarness()) {
            Channel b = tlsBackend(h, new ConcurrentLinkedQueue<>());
            int port = ((InetSocketAddress) b.localAddress()).getPort();
            h.start(config(port, "server-name = backend.internal"));
            assertTrue(get(h.port("web")).startsWith("HTTP/1.1 502"), "issuer not in the JVM's trust store");
            b.close().sync();
        }
    }

    @Test
    void insecureSkipVerifyIsExplicit() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            Channel b = tlsBackend(h, new ConcurrentLinkedQueue<>());
            int port = ((InetSocketAddress) b.localAddress()).getPort();
            h.start(config(port, "insecure-skip-verify = true"));
            String http = get(h.port("web"));
            assertTrue(http.endsWith("secure"), http);
            assertEquals(1, h.server().config().clusters().get("app").upstreamTls().stream().filter(u -> u.insecureSkipVerify()).count());
            b.close().sync();
        }
    }
}
