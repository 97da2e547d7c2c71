package io.pharos.proxy.l7;

import io.netty.handler.codec.DefaultHeaders;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;

/**
 * Netty's header maps with a smaller hash table, and Netty's validation unchanged. The decoders make a
 * map per message head and one for the trailers of every body with a Content-Length; Netty sizes each
 * for 16 buckets. Heads through a proxy are typically 5-15 headers (a bucket chain is walked by
 * equality, so a smaller table only costs a few comparisons), and trailers are rare: 8 and 2 buckets
 * save ~90 bytes per proxied request. Name and value validation are taken from
 * {@link DefaultHttpHeadersFactory#headersFactory()} and {@link DefaultHttpHeadersFactory#trailersFactory()}
 * (which also refuses framing headers in trailers), so what the decoders accept does not change.
 * Stateless.
 */
final class SizedHeadersFactory implements HttpHeadersFactory {
    static final HttpHeadersFactory HEADERS = new SizedHeadersFactory(DefaultHttpHeadersFactory.headersFactory(), 8);
    static final HttpHeadersFactory TRAILERS = new SizedHeadersFactory(DefaultHttpHeadersFactory.trailersFactory(), 2);
    private static final int EMPTY_SIZE_HINT = 2;

    private final DefaultHeaders.NameValidator<CharSequence> nameValidator;
    private final DefaultHeaders.ValueValidator<CharSequence> valueValidator;
    private final int sizeHint;

    private SizedHeadersFactory(DefaultHttpHeadersFactory validation, int sizeHint) {
        if (validation.isCombiningHeaders() || !validation.isValidatingHeaderNames() || !validation.isValidatingHeaderValues()) {
            throw new IllegalArgumentException("validation: " + validation + " (expected: validating names and values, not combining)");
        }
        this.nameValidator = validation.getNameValidator();
        this.valueValidator = validation.getValueValidator();
        this.sizeHint = sizeHint;
    }

    @Override
    public HttpHeaders newHeaders() {
        return new Sized(nameValidator, valueValidator, sizeHint);
    }

    @Override
    public HttpHeaders newEmptyHeaders() {
        return new Sized(nameValidator, valueValidator, EMPTY_SIZE_HINT);
    }

    /** Exposes {@link DefaultHttpHeaders}' sized constructor, which is protected. */
    private static final class Sized extends DefaultHttpHeaders {
        Sized(DefaultHeaders.NameValidator<CharSequence> names, DefaultHeaders.ValueValidator<CharSequence> values, int sizeHint) {
            super(names, values, sizeHint);
        }
    }
}
