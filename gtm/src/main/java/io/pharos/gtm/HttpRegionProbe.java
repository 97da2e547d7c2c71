package io.pharos.gtm;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code http} probe: GET the URL over a fresh connection ({@code Connection: close}); healthy when
 * the status is one of the expected ones. The whole exchange, connect included, has the timeout.
 */
final class HttpRegionProbe implements RegionProbe {
    static final String CODEC = "codec";
    static final String AGGREGATOR = "aggregator";
    static final String HANDLER = "probe";

    private final EventLoopGroup group;
    private final InetSocketAddress address;
    private final String hostHeader;
    private final String pathAndQuery;
    private final List<Integer> expectStatus;
    private final Duration timeout;

    /** Resolves the URL's host here (it may block on a name lookup): build on the control thread. */
    HttpRegionProbe(EventLoopGroup group, URI url, List<Integer> expectStatus, Duration timeout) {
        int port = url.getPort() < 0 ? 80 : url.getPort();
        this.group = group;
        this.address = new InetSocketAddress(url.getHost(), port);
        this.hostHeader = url.getPort() < 0 ? url.getHost() : url.getHost() + ":" + port;
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        this.pathAndQuery = url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
        this.expectStatus = List.copyOf(expectStatus);
        this.timeout = timeout;
    }

    @Override
    public CompletableFuture<Result> probe() {
        CompletableFuture<Result> result = new CompletableFuture<>();
        ChannelFuture f = ProbeSupport.bootstrap(group, timeout).handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(CODEC, new HttpClientCodec())
                        .addLast(AGGREGATOR, new HttpObjectAggregator(64 * 1024))
                        .addLast(HANDLER, new ResponseHandler(result));
            }
        }).connect(address);
        Channel ch = f.channel();
        ch.eventLoop().schedule(() -> {
            if (result.complete(new Result(false, "timeout"))) {
                ch.close();
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        f.addListener((ChannelFuture cf) -> {
            if (!cf.isSuccess()) {
                result.complete(new Result(false, ProbeSupport.reason(cf.cause())));
                return;
            }
            FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, pathAndQuery);
            req.headers().set(HttpHeaderNames.HOST, hostHeader)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                    .set(HttpHeaderNames.USER_AGENT, "pharos-gtm");
            cf.channel().writeAndFlush(req).addListener((ChannelFuture wf) -> {
                if (!wf.isSuccess()) {
                    result.complete(new Result(false, ProbeSupport.reason(wf.cause())));
                    wf.channel().close();
                }
            });
        });
        return result;
    }

    /** Completes the probe with the response status; per channel (stateful). */
    private final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final CompletableFuture<Result> result;

        ResponseHandler(CompletableFuture<Result> result) {
            this.result = result;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse msg) {
            int status = msg.status().code();
            result.complete(new Result(expectStatus.contains(status), "status " + status));
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            result.complete(new Result(false, "connection closed before a response"));
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            result.complete(new Result(false, ProbeSupport.reason(cause)));
            ctx.close();
        }
    }
}
