package io.pharos.proxy.l7;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.pharos.proxy.server.Transport;
import io.pharos.proxy.testing.ProxyHarness;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** WebSocket through the HTTP listener: the 101 is passed on, then bytes are relayed both ways; the idle timeout still applies. */
class WebSocketIT {

    private static Channel echoBackend(ProxyHarness h) throws InterruptedException {
        return new ServerBootstrap().group(h.backendGroup()).channel(Transport.best().serverChannel())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                                new WebSocketServerProtocolHandler("/ws"),
                                new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame f) {
                                        ctx.writeAndFlush(new TextWebSocketFrame("echo:" + f.text()));
                                    }
                                });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    @Test
    void echoesThroughTheProxyAndIdlesOut() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            Channel ws = echoBackend(h);
            int port = ((InetSocketAddress) ws.localAddress()).getPort();
            h.start("pharos {\n workers = 2\n http { idle-timeout = 2s }\n"
                    + " listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app } ]\n"
                    + " clusters { app { backends = [ { name = ws, address = \"127.0.0.1:" + port + "\" } ] } }\n}\n");
            LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
            CompletableFuture<Integer> closed = new CompletableFuture<>();
            HttpClient client = HttpClient.newHttpClient();
            WebSocket socket = client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                    .buildAsync(URI.create("ws://127.0.0.1:" + h.port() + "/ws"), new WebSocket.Listener() {
                        private final StringBuilder text = new StringBuilder();

                        @Override
                        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                            text.append(data);
                            if (last) {
                                received.add(text.toString());
                                text.setLength(0);
                            }
                            w.request(1);
                            return null;
                        }

                        @Override
                        public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
                            closed.complete(status);
                            return null;
                        }

                        @Override
                        public void onError(WebSocket w, Throwable error) {
                            closed.complete(-1);
                        }
                    }).get(20, TimeUnit.SECONDS);
            for (int i = 0; i < 20; i++) {
                String msg = "hello-" + i + "-" + "x".repeat(i * 500);
                socket.sendText(msg, true).get(10, TimeUnit.SECONDS);
                assertEquals("echo:" + msg, received.poll(10, TimeUnit.SECONDS));
            }
            // nothing moves: the proxy's idle timeout (2 s) ends the relay
            int status = closed.get(20, TimeUnit.SECONDS);
            assertTrue(status != 1000 || received.isEmpty(), "closed by the proxy, not by a normal close handshake");
            client.close();
            ws.close().sync();
        }
    }
}
