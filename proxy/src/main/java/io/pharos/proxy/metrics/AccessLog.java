package io.pharos.proxy.metrics;

import io.pharos.proxy.config.PharosConfig.AccessLogConfig;

import java.io.IOException;

/**
 * One JSON line per HTTP request, written by a writer thread, never by an event loop. Loops hand a
 * small record over through a bounded MPSC queue; when it is full the record is dropped and counted.
 */
public interface AccessLog extends AutoCloseable {

    /** Nothing logged. */
    static AccessLog disabled() {
        return DisabledAccessLog.INSTANCE;
    }

    /** Per config: disabled, or a writer thread appending to the file (standard output without one). */
    static AccessLog open(AccessLogConfig config) throws IOException {
        return config.enabled() ? QueuedAccessLog.open(config.file().orElse(null)) : disabled();
    }

    boolean enabled();

    /** Queues one line; never blocks. Event loop. */
    void log(String listener, String method, String uri, int status, String backend, long nanos);

    /** Records dropped because the queue was full. */
    long dropped();

    /** Writes what is queued and stops the writer. Blocks briefly. */
    @Override
    void close();

    /** The no-op log. */
    final class DisabledAccessLog implements AccessLog {
        static final DisabledAccessLog INSTANCE = new DisabledAccessLog();

        @Override
        public boolean enabled() {
            return false;
        }

        @Override
        public void log(String listener, String method, String uri, int status, String backend, long nanos) {
        }

        @Override
        public long dropped() {
            return 0;
        }

        @Override
        public void close() {
        }
    }
}
