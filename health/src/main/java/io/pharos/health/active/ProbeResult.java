package io.pharos.health.active;

import java.util.Objects;

/**
 * The outcome of one probe. {@code reason} is {@code ok} on success, otherwise a few words kept for
 * the health event and the admin API: {@code connect refused}, {@code timeout}, {@code status 500},
 * {@code body mismatch}, ...
 */
public record ProbeResult(boolean ok, String reason) {
    public static final ProbeResult OK = new ProbeResult(true, "ok");
    public static final ProbeResult TIMEOUT = new ProbeResult(false, "timeout");

    public ProbeResult {
        Objects.requireNonNull(reason, "reason");
    }

    public static ProbeResult failed(String reason) {
        return new ProbeResult(false, reason);
    }
}
