package io.pharos.bench;

import java.util.Locale;

/** Why a request did not produce a 2xx response. */
enum ErrorKind {
    /** The TCP connect failed or timed out. */
    CONNECT,
    /** No (complete) response within the timeout; the connection was closed. */
    TIMEOUT,
    /** A complete response whose status is not 2xx. */
    STATUS,
    /** The connection was reset or closed while a request was in flight. */
    RESET,
    /** The bytes received are not an HTTP/1.x response. */
    PROTOCOL;

    /** The name used in the output: {@code connect}, {@code timeout}, … */
    String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
