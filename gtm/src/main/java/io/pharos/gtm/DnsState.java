package io.pharos.gtm;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The failover state kept in DNS beside each managed name, as the TXT record
 * {@code _pharos.<name>}: {@code "epoch=N region=R"}, plus {@code " hold=H"} after a manual failover
 * ({@link Hold}: {@code failback} or an ISO-8601 instant). The epoch grows by one per switch; it is the
 * compare-and-set token that keeps two sidecars from fighting.
 *
 * @param hold the raw hold value, "" when there is none
 */
record DnsState(long epoch, String region, String hold) {
    static final String PREFIX = "_pharos.";
    private static final Pattern FORMAT = Pattern.compile("\\s*epoch=(\\d{1,18})\\s+region=(\\S+)(?:\\s+hold=(\\S+))?\\s*");

    DnsState(long epoch, String region) {
        this(epoch, region, "");
    }

    String txt() {
        return "epoch=" + epoch + " region=" + region + (hold.isEmpty() ? "" : " hold=" + hold);
    }

    /** The state after a switch to {@code toRegion} with the given hold ("" for none). */
    DnsState next(String toRegion, String nextHold) {
        return new DnsState(epoch + 1, toRegion, nextHold);
    }

    static Optional<DnsState> parse(String txt) {
        Matcher m = FORMAT.matcher(txt);
        return m.matches()
                ? Optional.of(new DnsState(Long.parseLong(m.group(1)), m.group(2), m.group(3) == null ? "" : m.group(3)))
                : Optional.empty();
    }
}
