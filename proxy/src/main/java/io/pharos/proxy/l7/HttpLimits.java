package io.pharos.proxy.l7;

import io.netty.handler.codec.http.HttpDecoderConfig;

/** Decoder settings shared by the client and backend sides of the L7 proxy. */
final class HttpLimits {
    /** Largest body piece handed on at once; bounds memory per connection while streaming. */
    static final int MAX_CHUNK_SIZE = 16 * 1024;

    private HttpLimits() {
    }

    static HttpDecoderConfig decoderConfig(int maxInitialLine, int maxHeaderSize) {
        return new HttpDecoderConfig()
                .setMaxInitialLineLength(maxInitialLine)
                .setMaxHeaderSize(maxHeaderSize)
                .setMaxChunkSize(MAX_CHUNK_SIZE)
                .setHeadersFactory(SizedHeadersFactory.HEADERS)
                .setTrailersFactory(SizedHeadersFactory.TRAILERS)
                .setAllowDuplicateContentLengths(false)
                .setStrictLineParsing(true)
                .setChunkedSupported(true);
    }
}
