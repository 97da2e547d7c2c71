package io.pharos.proxy.proxyprotocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ServerChannel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.AttributeKey;
import io.pharos.proxy.config.PharosConfig.ProxyProtocolVersion;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The PROXY protocol (HAProxy, v1 text and v2 binary) on both sides: a listener with
 * {@code proxy-protocol.accept} learns the real client address from the header its peer (a load
 * balancer in front) sends first; a cluster with {@code proxy-protocol.send} sends such a header first
 * on each backend connection. Stateless; methods run on the channel's event loop.
 */
public final class ProxyProtocol {
    public static final String DECODER = "proxy-protocol-decoder";
    public static final String ACCEPT = "proxy-protocol-accept";
    /** The client address a PROXY header announced, set on the accepted channel. */
    static final AttributeKey<InetSocketAddress> CLIENT = AttributeKey.valueOf("pharos.proxyProtocolClient");

    private ProxyProtocol() {
    }

    /** Adds the header decoder first in a new client pipeline; the handlers after it see {@code channelActive} once the header was read. */
    public static void addAcceptHandlers(ChannelPipeline p, long headerTimeoutMillis) {
        p.addFirst(ACCEPT, new ProxyProtocolAcceptHandler(headerTimeoutMillis));
        p.addFirst(DECODER, new HAProxyMessageDecoder());
    }

    /**
     * The address of the client behind {@code ch}: the one its PROXY header announced, else the peer's
     * address. For an HTTP/2 stream channel, the connection's client.
     */
    public static SocketAddress clientAddress(Channel ch) {
        InetSocketAddress announced = ch.attr(CLIENT).get();
        if (announced != null) {
            return announced;
        }
        Channel parent = ch.parent();
        if (parent != null && !(parent instanceof ServerChannel)) {
            announced = parent.attr(CLIENT).get();
            if (announced != null) {
                return announced;
            }
        }
        return ch.remoteAddress();
    }

    /**
     * Writes the PROXY header for {@code client} (reached us at {@code proxy}) first on {@code backend}, a
     * channel nothing was written to yet, below every handler (so before a TLS handshake, as the
     * protocol wants). Not flushed. No-op for {@link ProxyProtocolVersion#NONE}.
     */
    public static void sendHeader(Channel backend, ProxyProtocolVersion version, SocketAddress client, SocketAddress proxy) {
        if (version == ProxyProtocolVersion.NONE) {
            return;
        }
        ByteBuf bytes = encode(header(version, client, proxy));
        ChannelHandlerContext first = backend.pipeline().firstContext();
        if (first != null) {
            first.write(bytes, first.voidPromise());
        } else {
            backend.write(bytes, backend.voidPromise());
        }
    }

    /** The header as bytes, by Netty's encoder. */
    private static ByteBuf encode(HAProxyMessage msg) {
        EmbeddedChannel encoder = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
        encoder.writeOutbound(msg);
        ByteBuf bytes = encoder.readOutbound();
        encoder.finishAndReleaseAll();
        return bytes;
    }

    static HAProxyMessage header(ProxyProtocolVersion version, SocketAddress client, SocketAddress proxy) {
        HAProxyProtocolVersion v = version == ProxyProtocolVersion.V1 ? HAProxyProtocolVersion.V1 : HAProxyProtocolVersion.V2;
        if (client instanceof InetSocketAddress c && proxy instanceof InetSocketAddress d
                && c.getAddress() != null && d.getAddress() != null
                && (c.getAddress() instanceof Inet4Address) == (d.getAddress() instanceof Inet4Address)) {
            HAProxyProxiedProtocol proto = c.getAddress() instanceof Inet4Address ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6;
            return new HAProxyMessage(v, HAProxyCommand.PROXY, proto,
                    c.getAddress().getHostAddress(), d.getAddress().getHostAddress(), c.getPort(), d.getPort());
        }
        // addresses of different families or not IP: say so rather than lie
        return v == HAProxyProtocolVersion.V1
                ? new HAProxyMessage(v, HAProxyCommand.PROXY, HAProxyProxiedProtocol.UNKNOWN, null, null, 0, 0)
                : new HAProxyMessage(v, HAProxyCommand.LOCAL, HAProxyProxiedProtocol.UNKNOWN, null, null, 0, 0);
    }
}
