package io.pharos.proxy.l7;

import io.netty.handler.codec.http.HttpResponseStatus;

/** STUB (replaced by the seam branch). */
public record Refusal(HttpResponseStatus status, String reason, int retryAfterSeconds) {
}
