package io.pharos.gtm;

/**
 * What the {@link FailoverDecider} wants done, with the reason that goes to the log and to
 * {@code /status}.
 *
 * @param kind   {@code SWITCH}: point the names at {@code to}; {@code ALERT}: every region is down,
 *               the answer stays as it is; {@code CLEAR}: the alert is over
 * @param from   the region active when deciding
 * @param to     the region to switch to ({@code from} for alerts)
 * @param reason why, in words
 * @param timeMillis when it was decided (the decider's clock)
 */
record Decision(Kind kind, String from, String to, String reason, long timeMillis) {
    enum Kind { SWITCH, ALERT, CLEAR }

    @Override
    public String toString() {
        return switch (kind) {
            case SWITCH -> "switch " + from + " -> " + to + ": " + reason;
            case ALERT -> "alert, keeping " + from + ": " + reason;
            case CLEAR -> "alert cleared: " + reason;
        };
    }
}
