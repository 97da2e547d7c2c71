package io.pharos.proxy.l7;

/**
 * An HTTP/2 stream to a backend ended before the backend processed it: a GOAWAY whose last stream id is
 * below the stream's, RST_STREAM with REFUSED_STREAM, or a GOAWAY before the stream could be sent (RFC
 * 9113 8.7). Nothing of the request was acted on, so it may be retried like a connect failure, also when
 * it is not idempotent. Immutable, without a stack trace (it is routine, not a bug).
 */
final class UnprocessedStreamException extends Exception {
    UnprocessedStreamException(String message) {
        super(message, null, false, false);
    }
}
