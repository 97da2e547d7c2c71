package io.pharos.bench;

/**
 * The run's two switches, flipped by the main thread and read by the event loops: {@code running} (start
 * new requests) and {@code recording} (count what completes: false during warm-up and after the end).
 */
final class LoadControl {
    // Both written only by the main thread.
    private volatile boolean running = true;
    private volatile boolean recording;

    boolean running() {
        return running;
    }

    boolean recording() {
        return recording;
    }

    void startRecording() {
        recording = true;
    }

    void stop() {
        recording = false;
        running = false;
    }
}
