package io.pharos.proxy.tls;

/**
 * What a listener's TLS contexts offer by ALPN: {@link #HTTP} ({@code h2} then {@code http/1.1}, with
 * HTTP/2's cipher rules) for {@code protocol = http} listeners, {@link #NONE} for {@code protocol = tcp}
 * listeners, whose backends may speak anything (no protocol is negotiated). Immutable.
 */
public enum Alpn {
    HTTP,
    NONE
}
