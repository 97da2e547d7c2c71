package io.pharos.proxy.l7;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * How a backend's response head is framed for the client, rewritten in place: hop-by-hop headers go; a
 * response that cannot carry a body (to HEAD, 204, 304) keeps its framing headers as they are; a
 * close-delimited body is re-framed as chunked for a keep-alive HTTP/1.1 client, or ends the client
 * connection otherwise; {@code Connection} says whether the client connection stays. The result is a
 * set of flag bits, so nothing is allocated per response. Stateless.
 */
final class ResponseFraming {
    /** The backend connection may carry another exchange after this response. */
    static final int BACKEND_REUSABLE = 1;
    /** The client connection closes after this response. */
    static final int CLOSE_CLIENT = 2;

    private ResponseFraming() {
    }

    /** Whether a response to this request with this status carries no body, whatever its headers say. */
    static boolean isBodyless(boolean headRequest, int status) {
        return headRequest || status == 204 || status == 304;
    }

    /**
     * Rewrites the final (non-1xx) response head {@code resp} for the client and returns
     * {@link #BACKEND_REUSABLE} and {@link #CLOSE_CLIENT} bits.
     *
     * @param clientKeepAlive whether the client and the listener want the connection kept
     * @param clientHttp10 whether the client spoke HTTP/1.0 (it cannot take chunked framing)
     * @param requestComplete whether the whole request reached the backend (if not, the rest can't be read past)
     * @param listenerClosing whether the listener began closing since the request arrived: keep-alive ends,
     *        but a body is framed as it would have been for the keep-alive the request asked for
     */
    static int frame(HttpResponse resp, boolean headRequest, boolean clientKeepAlive, boolean clientHttp10, boolean requestComplete,
            boolean listenerClosing) {
        HttpHeaders h = resp.headers();
        boolean backendKeepAlive = HttpUtil.isKeepAlive(resp);
        boolean chunked = HttpUtil.isTransferEncodingChunked(resp);
        boolean hasLength = h.contains(HttpHeaderNames.CONTENT_LENGTH);
        boolean bodyless = isBodyless(headRequest, resp.status().code());
        int flags = backendKeepAlive && (bodyless || chunked || hasLength) ? BACKEND_REUSABLE : 0;
        HeaderRewriter.removeHopByHop(h);
        if (!bodyless && !hasLength) {
            if (clientKeepAlive && !clientHttp10) {
                h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            } else {
                flags |= CLOSE_CLIENT;
            }
        } else if (chunked && !bodyless) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (!requestComplete || !clientKeepAlive || listenerClosing) {
            flags |= CLOSE_CLIENT;
        }
        if ((flags & CLOSE_CLIENT) != 0) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (clientHttp10) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        resp.setProtocolVersion(HttpVersion.HTTP_1_1);
        return flags;
    }

    /** Rewrites an interim (1xx, not 101) response head for the client: only hop-by-hop headers go. */
    static void frameInformational(HttpResponse resp) {
        HeaderRewriter.removeHopByHop(resp.headers());
    }
}
