package io.pharos.gtm;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The failover state kept in DNS beside each managed name, as the TXT record
 * {@code _pharos.<name>}: {@code "epoch=N region=R"}. The epoch grows by one per switch; it is the
 * compare-and-set token that keeps two sidecars from fighting.
 */
record DnsState(long epoch, String region) {
    static final String PREFIX = "_pharos.";
    private static final Pattern FORMAT = Pattern.compile("\\s*epoch=(\\d{1,18})\\s+region=(\\S+)\\s*");

    String txt() {
        return "epoch=" + epoch + " region=" + region;
    }

    DnsState next(String toRegion) {
        return new DnsState(epoch + 1, toRegion);
    }

    static Optional<DnsState> parse(String txt) {
        Matcher m = FORMAT.matcher(txt);
        return m.matches() ? Optional.of(new DnsState(Long.parseLong(m.group(1)), m.group(2))) : Optional.empty();
    }
}
