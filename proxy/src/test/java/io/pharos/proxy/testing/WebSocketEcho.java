package io.pharos.proxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.pharos.proxy.transport.Transport;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket echo backend on loopback (Netty's codec; answers {@code echo:<text>} on {@code /ws}) that
 * keeps its open connections in a group, and {@link Client}, a JDK WebSocket client whose messages and
 * close can be awaited. Closed by {@link #close()}.
 */
public final class WebSocketEcho implements AutoCloseable {
    private final Channel server;
    private final ChannelGroup open = new DefaultChannelGroup("ws-echo", GlobalEventExecutor.INSTANCE);

    private WebSocketEcho(EventLoopGroup group) throws InterruptedException {
        this.server = new ServerBootstrap().group(group).channel(Transport.best().serverChannel())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        open.add(ch);
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

    public static WebSocketEcho start(EventLoopGroup group) throws InterruptedException {
        return new WebSocketEcho(group);
    }

    public String address() {
        return "127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Connections the backend has open now. */
    public int openConnections() {
        return open.size();
    }

    @Override
    public void close() {
        open.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** A connected WebSocket client. */
    public static final class Client implements WebSocket.Listener, AutoCloseable {
        private final HttpClient http = HttpClient.newHttpClient();
        private final LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        private final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();
        private final WebSocket socket;

        /** Connects to {@code ws://127.0.0.1:port/ws}. */
        public Client(int port) throws Exception {
            socket = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                    .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), this).get(20, TimeUnit.SECONDS);
        }

        /** Sends {@code msg} and returns the next message received (null after 10 s without one). */
        public String echo(String msg) throws Exception {
            socket.sendText(msg, true).get(10, TimeUnit.SECONDS);
            return received.poll(10, TimeUnit.SECONDS);
        }

        /** Completes with the close status received, or -1 when the connection broke without one. */
        public CompletableFuture<Integer> closed() {
            return closed;
        }

        /** Whether anything arrived that no {@link #echo} took. */
        public boolean receivedNothingElse() {
            return received.isEmpty();
        }

        /** Starts a normal close handshake (1000). */
        public void sendClose() throws Exception {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
        }

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

        @Override
        public void close() {
            socket.abort();
            http.close();
        }
    }
}
