package io.pharos.proxy.l7;

import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

import java.util.List;

/**
 * Rejects requests whose framing or routing is ambiguous, before anything is forwarded. Returns the
 * reason for a 400, or {@code null} when the request is acceptable. Stateless.
 */
final class RequestValidator {
    private RequestValidator() {
    }

    static String problem(HttpRequest request) {
        HttpHeaders h = request.headers();
        // getAll only for headers present: it builds lists, and most requests carry neither framing header
        if (h.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            List<String> te = h.getAll(HttpHeaderNames.TRANSFER_ENCODING);
            if (te.size() != 1 || !HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(te.get(0).trim())) {
                return "Transfer-Encoding other than exactly chunked";
            }
            if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
                return "Transfer-Encoding in an HTTP/1.0 request";
            }
            if (h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
                return "Content-Length with Transfer-Encoding";
            }
        }
        if (h.contains(HttpHeaderNames.CONTENT_LENGTH) && h.getAll(HttpHeaderNames.CONTENT_LENGTH).size() > 1) {
            return "duplicate Content-Length";
        }
        List<String> host = h.getAll(HttpHeaderNames.HOST);
        if (host.size() > 1) {
            return "duplicate Host";
        }
        if (request.protocolVersion().equals(HttpVersion.HTTP_1_1) && (host.isEmpty() || host.get(0).isBlank())) {
            return "missing Host";
        }
        String uri = request.uri();
        if (uri.isEmpty() || (uri.charAt(0) != '/' && !uri.equals("*") && !uri.startsWith("http://") && !uri.startsWith("https://"))) {
            return "bad request target";
        }
        return null;
    }

    /** The answer to a request the decoder could not parse: 414 or 431 for what outgrew a limit, else 400. */
    static HttpResponseStatus decodeFailureStatus(Throwable cause) {
        return cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                : cause instanceof TooLongHttpHeaderException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                : cause instanceof TooLongFrameException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                : HttpResponseStatus.BAD_REQUEST;
    }

    /** Whether the request expects something other than {@code 100-continue} (answered 417). */
    static boolean hasUnsupportedExpectation(HttpRequest request) {
        String expect = request.headers().get(HttpHeaderNames.EXPECT);
        return expect != null && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect.trim());
    }
}
