package io.pharos.proxy.continuity.ship;

import io.pharos.health.config.HostPort;
import io.pharos.proxy.config.PharosConfig.TlsConfig;

import java.util.Objects;
import java.util.Optional;

/**
 * How a {@link ContinuityReceiver} listens ({@code continuity.listen} and its TLS, token and limits).
 *
 * @param listen        where the peer region's shipper connects (port 0: any free port, for tests)
 * @param token         the bearer token the shipper must send; required unless {@code tls} verifies client
 *                      certificates ({@code client-ca}: mTLS)
 * @param tls           server TLS: certificate and key, SNI certificates, protocols, and {@code client-ca}
 *                      for mTLS (the listeners' {@code tls} block); plaintext when absent
 * @param ownRegion     this region: a batch claiming it as origin is refused (403, loop guard)
 * @param maxBatchBytes the largest batch body accepted (413 beyond)
 */
public record ReceiverSettings(HostPort listen, Optional<String> token, Optional<TlsConfig> tls, String ownRegion,
                               int maxBatchBytes) {
    /** A default batch limit: well above the shipper's default batch, below a record's 48 MiB bound x 2. */
    public static final int DEFAULT_MAX_BATCH_BYTES = 64 * 1024 * 1024;

    public ReceiverSettings {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(ownRegion, "ownRegion");
        if (token.isPresent() && token.get().isEmpty()) {
            throw new IllegalArgumentException("token: empty (expected: a secret, or no token with mTLS)");
        }
        if (token.isEmpty() && tls.flatMap(TlsConfig::clientCa).isEmpty()) {
            throw new IllegalArgumentException("token: missing (expected: a bearer token, or tls.client-ca for mTLS)");
        }
        if (!ShipProtocol.isValidOrigin(ownRegion)) {
            throw new IllegalArgumentException("region: '" + ownRegion + "' (expected: 1-64 of A-Z a-z 0-9 . _ -)");
        }
        if (maxBatchBytes < 1024) {
            throw new IllegalArgumentException("max-batch-bytes: " + maxBatchBytes + " (expected: >= 1024)");
        }
    }
}
