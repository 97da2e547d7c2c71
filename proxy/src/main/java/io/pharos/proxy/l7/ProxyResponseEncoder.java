package io.pharos.proxy.l7;

import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;

/**
 * Response encoder that knows when the response answers a HEAD request (no body may follow whatever
 * its framing headers say). The frontend handler, on the same event loop, sets the flag per request.
 */
final class ProxyResponseEncoder extends HttpResponseEncoder {
    /** Written by the frontend handler on the channel's loop before it writes the response head. */
    private boolean headRequest;

    void setHeadRequest(boolean headRequest) {
        this.headRequest = headRequest;
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpResponse msg) {
        int code = msg.status().code();
        if (code >= 100 && code < 200) {
            return super.isContentAlwaysEmpty(msg);
        }
        return headRequest || super.isContentAlwaysEmpty(msg);
    }
}
