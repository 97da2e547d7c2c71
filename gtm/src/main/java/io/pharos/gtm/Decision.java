package io.pharos.gtm;

import java.util.Locale;
import java.util.Optional;

/**
 * What the {@link FailoverDecider} wants done, with its cause and the reason that go to the log and to
 * {@code /status}.
 *
 * @param kind   {@code SWITCH}: point the names at {@code to}; {@code ALERT}: every region is down,
 *               the answer stays as it is; {@code CLEAR}: the alert is over
 * @param cause  why, as a fixed name an operator can alert on
 * @param from   the region active when deciding
 * @param to     the region to switch to ({@code from} for alerts)
 * @param reason why, in words (with the counts and probe reasons that led to it)
 * @param hold   for a manual failover: how long automatic failback is held off (empty for every other decision)
 * @param timeMillis when it was decided (the decider's clock)
 */
record Decision(Kind kind, Cause cause, String from, String to, String reason, Optional<Hold> hold, long timeMillis) {
    enum Kind { SWITCH, ALERT, CLEAR }

    /** The cause of a decision. */
    enum Cause {
        /** The active region failed N consecutive rounds and another is healthy. */
        REGION_DOWN,
        /** Every region is down: the answer is kept. */
        ALL_DOWN,
        /** The active region is no longer down: the all-down alert is over. */
        RECOVERED,
        /** {@code failback = auto}: a higher-priority region is healthy again. */
        AUTO_FAILBACK,
        /** {@code POST /failover?to=REGION}. */
        MANUAL_FAILOVER,
        /** {@code POST /failback}. */
        MANUAL_FAILBACK;

        /** The name in {@code /status}: {@code region-down}, {@code manual-failover}, … */
        String wireName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    Decision(Kind kind, Cause cause, String from, String to, String reason, long timeMillis) {
        this(kind, cause, from, to, reason, Optional.empty(), timeMillis);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case SWITCH -> "switch " + from + " -> " + to + " (" + cause.wireName() + "): " + reason
                    + hold.map(h -> "; automatic failback held " + h.describe(timeMillis)).orElse("");
            case ALERT -> "alert (" + cause.wireName() + "), keeping " + from + ": " + reason;
            case CLEAR -> "alert cleared (" + cause.wireName() + "): " + reason;
        };
    }
}
