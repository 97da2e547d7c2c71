package io.pharos.health.active;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What an {@code http} check sends and expects.
 *
 * @param method       request method, e.g. {@code GET}
 * @param path         request target, starting with {@code /}
 * @param host         {@code Host} header; empty: the backend's {@code host:port}
 * @param expectStatus accepted statuses; the check fails with {@code status N} otherwise
 * @param expectBody   a substring the body must contain (searched in its first {@link #MAX_BODY} bytes);
 *                     the check fails with {@code body mismatch} otherwise
 */
public record HttpCheckSpec(
        String method, String path, Optional<String> host, List<StatusRange> expectStatus, Optional<String> expectBody) {

    /** Bytes of body kept to search for {@code expectBody}. */
    public static final int MAX_BODY = 64 * 1024;

    public HttpCheckSpec {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path: " + path + " (expected: starts with '/')");
        }
        host = Objects.requireNonNullElse(host, Optional.empty());
        expectStatus = List.copyOf(expectStatus);
        if (expectStatus.isEmpty()) {
            throw new IllegalArgumentException("expectStatus: [] (expected: at least one range)");
        }
        expectBody = Objects.requireNonNullElse(expectBody, Optional.empty());
    }

    /** {@code GET path}, statuses 200-399, no body expectation. */
    public static HttpCheckSpec get(String path) {
        return new HttpCheckSpec("GET", path, Optional.empty(), List.of(new StatusRange(200, 399)), Optional.empty());
    }

    boolean acceptsStatus(int status) {
        for (StatusRange r : expectStatus) {
            if (r.contains(status)) {
                return true;
            }
        }
        return false;
    }
}
