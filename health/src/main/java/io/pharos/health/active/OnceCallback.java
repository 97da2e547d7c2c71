package io.pharos.health.active;

import java.util.function.Consumer;

/** Passes on the first result only; confined to one probe's event loop. */
final class OnceCallback implements Consumer<ProbeResult> {
    private final Consumer<ProbeResult> delegate;
    /** Written by the probe's event loop. */
    private boolean done;

    OnceCallback(Consumer<ProbeResult> delegate) {
        this.delegate = delegate;
    }

    @Override
    public void accept(ProbeResult result) {
        if (!done) {
            done = true;
            delegate.accept(result);
        }
    }

    /** Drops any later result: the session gave up on this attempt. */
    void disarm() {
        done = true;
    }
}
