package io.pharos.proxy.l4;

import java.util.concurrent.atomic.LongAdder;

/** How many TCP connections used the zero-copy relay, over the process; for tests and the status page. Thread-safe. */
public final class SpliceStats {
    static final LongAdder SPLICED = new LongAdder();

    private SpliceStats() {
    }

    public static long splicedConnections() {
        return SPLICED.sum();
    }
}
