package io.pharos.proxy.continuity.ship;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where and how a {@link PeerShipper} ships ({@code continuity.peer}).
 *
 * @param peer               the peer receiver's base URL, {@code http://} or {@code https://host:port}
 * @param token              the bearer token the peer wants (absent with mTLS)
 * @param caFile             PEM CA certificate(s) the peer's certificate must chain to (the JVM's trust store when absent)
 * @param serverName         the name the peer's certificate must carry (the URL's host when absent)
 * @param insecureSkipVerify do not verify the peer's certificate at all (tests only; logged)
 * @param clientCertificate  PEM certificate chain presented to the peer (mTLS), with {@code clientKey}
 * @param clientKey          PEM (PKCS#8) private key of {@code clientCertificate}
 * @param batchRecords       most records in one request
 * @param batchBytes         most frame bytes in one request (a larger record goes alone)
 * @param backoffMin         first pause after a failed request
 * @param backoffMax         longest pause (the pause doubles up to it, with jitter)
 * @param requestTimeout     connect and answer timeout of one request
 */
public record ShipperSettings(URI peer, Optional<String> token, Optional<Path> caFile, Optional<String> serverName,
                              boolean insecureSkipVerify, Optional<Path> clientCertificate, Optional<Path> clientKey,
                              int batchRecords, int batchBytes, Duration backoffMin, Duration backoffMax,
                              Duration requestTimeout) {
    public static final int DEFAULT_BATCH_RECORDS = 1024;
    public static final int DEFAULT_BATCH_BYTES = 4 * 1024 * 1024;

    public ShipperSettings {
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(caFile, "caFile");
        Objects.requireNonNull(serverName, "serverName");
        Objects.requireNonNull(clientCertificate, "clientCertificate");
        Objects.requireNonNull(clientKey, "clientKey");
        Objects.requireNonNull(backoffMin, "backoffMin");
        Objects.requireNonNull(backoffMax, "backoffMax");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (!"http".equals(peer.getScheme()) && !"https".equals(peer.getScheme()) || peer.getHost() == null) {
            throw new IllegalArgumentException("peer.url: " + peer + " (expected: http://HOST:PORT or https://HOST:PORT)");
        }
        if (clientCertificate.isPresent() != clientKey.isPresent()) {
            throw new IllegalArgumentException("peer.client-certificate and peer.client-key: give both or neither");
        }
        if (token.isEmpty() && clientCertificate.isEmpty()) {
            throw new IllegalArgumentException("peer.token: missing (expected: a bearer token, or a client certificate for mTLS)");
        }
        if (batchRecords < 1) {
            throw new IllegalArgumentException("batch-records: " + batchRecords + " (expected: >= 1)");
        }
        if (batchBytes < 1024) {
            throw new IllegalArgumentException("batch-bytes: " + batchBytes + " (expected: >= 1024)");
        }
        if (backoffMin.isNegative() || backoffMin.isZero() || backoffMax.compareTo(backoffMin) < 0) {
            throw new IllegalArgumentException("backoff: " + backoffMin + ".." + backoffMax + " (expected: 0 < min <= max)");
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("request-timeout: " + requestTimeout + " (expected: > 0)");
        }
    }
}
