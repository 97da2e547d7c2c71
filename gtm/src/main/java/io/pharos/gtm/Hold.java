package io.pharos.gtm;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A manual failover's hold on automatic failback: until {@code POST /failback} ({@link #UNTIL_FAILBACK}),
 * or until {@code untilMillis} on the decider's clock ({@code POST /failover?to=R&hold=30m}). In DNS it is
 * the state TXT's {@code hold=failback} or {@code hold=<ISO-8601 instant>} (wall clock, so that every
 * sidecar following the record holds too). Immutable.
 */
record Hold(long untilMillis) {
    static final Hold UNTIL_FAILBACK = new Hold(Long.MAX_VALUE);
    static final String FAILBACK = "failback";
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");

    boolean untilFailback() {
        return untilMillis == Long.MAX_VALUE;
    }

    boolean heldAt(long nowMillis) {
        return nowMillis < untilMillis;
    }

    /** {@code until POST /failback} or {@code for 1800000 ms}, counted from {@code nowMillis}. */
    String describe(long nowMillis) {
        return untilFailback() ? "until POST /failback" : "for " + Math.max(0, untilMillis - nowMillis) + " ms";
    }

    /** The TXT value: {@code failback} or the wall-clock instant it ends, given the decider's and the wall clock now. */
    String txt(long nowMillis, long wallMillis) {
        return untilFailback() ? FAILBACK : Instant.ofEpochMilli(wallMillis + (untilMillis - nowMillis)).toString();
    }

    /** The hold a TXT value names, on the decider's clock; empty when the value is not one. */
    static Optional<Hold> fromTxt(String txt, long nowMillis, long wallMillis) {
        if (FAILBACK.equals(txt)) {
            return Optional.of(UNTIL_FAILBACK);
        }
        try {
            return Optional.of(new Hold(nowMillis + (Instant.parse(txt).toEpochMilli() - wallMillis)));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * The {@code ?hold=} parameter: a positive whole number with a unit ({@code 90s}, {@code 30m}, {@code 2h},
     * {@code 1d}, {@code 500ms}); a number without a unit is refused rather than guessed.
     */
    static Duration parseDuration(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new IllegalArgumentException("hold: '" + text + "' (expected: a positive duration with a unit: ms, s, m, h or d, e.g. 30m)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }
}
