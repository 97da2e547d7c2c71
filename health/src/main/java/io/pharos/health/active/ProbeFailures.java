package io.pharos.health.active;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderException;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.util.Locale;

/** Turns a probe's exception into the short reason kept with the verdict. Stateless. */
final class ProbeFailures {
    private ProbeFailures() {
    }

    /** A failure while connecting. */
    static String connectReason(Throwable cause) {
        if (cause instanceof ConnectTimeoutException) {
            return "connect timeout";
        }
        if (cause instanceof NoRouteToHostException) {
            return "no route to host";
        }
        if (cause instanceof ConnectException && contains(cause, "refused")) {
            return "connect refused";
        }
        return "connect failed: " + describe(cause);
    }

    /** A failure once connected. */
    static String ioReason(Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof SSLException) {
            return "tls: " + describe(c);
        }
        if (c instanceof IOException && contains(c, "reset")) {
            return "connection reset";
        }
        return "io error: " + describe(c);
    }

    private static boolean contains(Throwable t, String word) {
        String m = t.getMessage();
        return m != null && m.toLowerCase(Locale.ROOT).contains(word);
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
