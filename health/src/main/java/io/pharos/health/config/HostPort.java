package io.pharos.health.config;

import java.net.InetSocketAddress;

/** A {@code host:port} (or {@code [v6]:port}) as written in the config; resolved when used. */
public record HostPort(String host, int port) {

    public static HostPort parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty address (expected host:port)");
        }
        String host;
        String portText;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("bad address '" + text + "' (expected [ipv6]:port)");
            }
            host = text.substring(1, close);
            portText = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon <= 0 || text.indexOf(':') != colon) {
                throw new IllegalArgumentException("bad address '" + text + "' (expected host:port)");
            }
            host = text.substring(0, colon);
            portText = text.substring(colon + 1);
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in '" + text + "' (expected 0..65535)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("bad port in '" + text + "' (expected 0..65535)");
        }
        if (host.isBlank()) {
            throw new IllegalArgumentException("bad address '" + text + "' (empty host)");
        }
        return new HostPort(host, port);
    }

    /** Resolves the host now. May block on DNS: call off the event loops. */
    public InetSocketAddress resolve() {
        return new InetSocketAddress(host, port);
    }

    public boolean isLoopback() {
        if (host.equals("localhost")) {
            return true;
        }
        try {
            return java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
