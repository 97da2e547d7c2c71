package io.pharos.proxy.l7;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.pharos.proxy.proxyprotocol.ProxyProtocol;

import java.net.SocketAddress;

/**
 * The client's side of the exchange in flight: its request head, checked ({@link RequestValidator}) and
 * rewritten for the backend ({@link HeaderRewriter}) when it arrives, and what the head says about the
 * answer (keep-alive, HTTP/1.0, HEAD, an Upgrade, 100-continue, a body).
 *
 * <p>One per client connection, reset for every request. Loop-confined: every method runs on the client
 * channel's event loop; every non-final field is written there by {@link #accept} (and {@link #none}).
 */
final class ClientRequest {
    private final Channel client;
    /** Whether the connection may switch protocols (HTTP/1.1; an HTTP/2 stream may not). */
    private final boolean upgradeAllowed;
    private final boolean tls;

    /** Set on the first request, for the connection's life: the client as a PROXY header announced it, else the peer. */
    private SocketAddress clientAddress;
    /** {@link #clientAddress} as an IP literal, as X-Forwarded-For carries it. */
    private String clientIp;

    /** The head of this request (as forwarded, once accepted); null for a head that never completed. */
    private HttpRequest head;
    /** Why the head was rejected, or null. */
    private String problem;
    private boolean hasBody;
    private boolean keepAlive;
    /** Whether this is a HEAD request (its answer has no body). Left as it was when a head is rejected. */
    private boolean headMethod;
    /** Whether the client spoke HTTP/1.0 (the head sent on is rewritten to 1.1, so this is kept aside). */
    private boolean http10;
    /** Whether the client waits for 100 Continue before sending its body; cleared when it is sent. */
    private boolean expectContinue;
    /** The client's {@code Upgrade} header when it asked to switch protocols, else null. */
    private String upgrade;

    ClientRequest(Channel client, boolean upgradeAllowed, boolean tls) {
        this.client = client;
        this.upgradeAllowed = upgradeAllowed;
        this.tls = tls;
    }

    /**
     * A request head arrived: returns null when it is accepted and rewritten for the backend, else the
     * status to reject it with ({@link #problem()} says why).
     *
     * @param listenerClosing whether keep-alive ends after this request
     */
    HttpResponseStatus accept(HttpRequest req, boolean listenerClosing) {
        head = req;
        if (req.decoderResult().isFailure()) {
            Throwable cause = req.decoderResult().cause();
            problem = cause == null ? "malformed request" : cause.getMessage();
            return RequestValidator.decodeFailureStatus(cause);
        }
        problem = RequestValidator.problem(req);
        if (problem != null) {
            return HttpResponseStatus.BAD_REQUEST;
        }
        if (RequestValidator.hasUnsupportedExpectation(req)) {
            problem = "unsupported Expect: " + req.headers().get(HttpHeaderNames.EXPECT);
            return HttpResponseStatus.EXPECTATION_FAILED;
        }
        HttpHeaders h = req.headers();
        // 100-continue is answered by the proxy once a backend connection is ready (as Envoy does), not by the backend
        expectContinue = HttpUtil.is100ContinueExpected(req);
        h.remove(HttpHeaderNames.EXPECT);
        boolean chunked = HttpUtil.isTransferEncodingChunked(req);
        hasBody = chunked || HttpUtil.getContentLength(req, 0L) > 0;
        keepAlive = HttpUtil.isKeepAlive(req) && !listenerClosing;
        headMethod = HttpMethod.HEAD.equals(req.method());
        http10 = req.protocolVersion().equals(HttpVersion.HTTP_1_0);
        upgrade = upgradeAllowed && !http10 ? HeaderRewriter.upgradeAsked(h) : null;
        if (clientAddress == null) {
            // fixed for the connection's life (a PROXY header, if any, came before the first request)
            clientAddress = ProxyProtocol.clientAddress(client);
            clientIp = HeaderRewriter.clientIp(clientAddress);
        }
        HeaderRewriter.rewriteRequest(req, chunked, upgrade, clientIp, tls);
        return null;
    }

    /** A head that never completed: there is no request to speak of. */
    void none() {
        head = null;
    }

    HttpRequest head() {
        return head;
    }

    String problem() {
        return problem;
    }

    SocketAddress clientAddress() {
        return clientAddress;
    }

    boolean hasBody() {
        return hasBody;
    }

    boolean keepAlive() {
        return keepAlive;
    }

    /** The answer to this request ends the connection, whatever the head said (a rejection). */
    void endKeepAlive() {
        keepAlive = false;
    }

    boolean isHead() {
        return headMethod;
    }

    boolean isHttp10() {
        return http10;
    }

    String upgrade() {
        return upgrade;
    }

    /** Whether a 100 Continue is due now; true once per request at most. */
    boolean takeExpectContinue() {
        boolean e = expectContinue;
        expectContinue = false;
        return e;
    }
}
