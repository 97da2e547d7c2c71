package io.pharos.proxy.l7;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;

/**
 * Netty's request decoder, made strict where a proxy must be: a request with both
 * {@code Transfer-Encoding: chunked} and {@code Content-Length} is rejected (Netty would drop the
 * Content-Length and go on), since two parties framing one message differently is how requests are
 * smuggled. Everything else that is ambiguous is checked by {@link RequestValidator}.
 */
final class ProxyRequestDecoder extends HttpRequestDecoder {
    ProxyRequestDecoder(HttpDecoderConfig config) {
        super(config);
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        throw new IllegalArgumentException("Content-Length with Transfer-Encoding: chunked");
    }
}
