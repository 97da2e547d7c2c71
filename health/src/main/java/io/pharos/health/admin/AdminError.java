package io.pharos.health.admin;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * A request an admin endpoint refuses, with the 4xx status and the message of its JSON error body
 * ({@link AdminResponses#error}). Thrown by routing code and answered by its handler; no stack trace.
 */
public final class AdminError extends Exception {
    private final HttpResponseStatus status;

    public AdminError(HttpResponseStatus status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public HttpResponseStatus status() {
        return status;
    }

    /** 405 unless the request's method is {@code allowed}. */
    public static void requireMethod(HttpMethod given, HttpMethod allowed) throws AdminError {
        if (!given.equals(allowed)) {
            throw new AdminError(HttpResponseStatus.METHOD_NOT_ALLOWED, "method " + given + " not allowed here (allowed: " + allowed + ")");
        }
    }
}
