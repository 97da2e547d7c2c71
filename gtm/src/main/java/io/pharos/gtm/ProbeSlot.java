package io.pharos.gtm;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;

/** One region's probe scheduling and counters in the sidecar; confined to the sidecar's control thread. */
final class ProbeSlot {
    /** Written by the control thread: the scheduled next probe, or null. */
    ScheduledFuture<?> next;
    /** Written by the control thread. */
    boolean inFlight;
    /** Written by the control thread. */
    long probes;
    /** Written by the control thread. */
    long failures;
    /** Written by the control thread: clusters the proxy reported down and not recovered. */
    final Set<String> clustersDown = new HashSet<>();
}
