package io.pharos.health.passive;

/**
 * The one definition of a gateway failure among response statuses: 502, 503 and 504 say the backend (or
 * something behind it) could not serve the request, not that the request was wrong. Outlier detection
 * counts them as a streak of their own, and the proxy retries them on another backend. Stateless.
 */
public final class GatewayStatus {
    private GatewayStatus() {
    }

    /** Whether {@code status} is 502 Bad Gateway, 503 Service Unavailable or 504 Gateway Timeout. */
    public static boolean isGatewayFailure(int status) {
        return status == 502 || status == 503 || status == 504;
    }
}
