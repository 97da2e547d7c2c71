package io.pharos.proxy.server;

import io.netty.channel.Channel;
import io.pharos.proxy.config.PharosConfig.ListenerConfig;
import io.pharos.proxy.l7.ListenerContext;
import io.pharos.proxy.tls.ListenerTls;

import java.net.InetSocketAddress;

/** A bound listener and what its connections share ({@code context} is null for TCP, {@code tls} for cleartext). */
public record BoundListener(ListenerConfig config, Channel channel, ListenerContext context, ListenerTls tls) {
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }
}
