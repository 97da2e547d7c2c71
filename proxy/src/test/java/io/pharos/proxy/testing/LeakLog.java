package io.pharos.proxy.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects the {@code LEAK:} reports Netty's leak detector logs in this JVM (through
 * {@code java.util.logging}, Netty's logger when no other is on the class path) while it is open. A
 * report is only made once the leaked buffer was collected and a later buffer is tracked, so
 * {@link #reports()} first collects garbage and allocates a few buffers. Any thread.
 */
public final class LeakLog implements AutoCloseable {
    private final Logger logger = Logger.getLogger(ResourceLeakDetector.class.getName());
    private final List<String> reports = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            String m = r.getMessage();
            if (m != null && m.contains("LEAK:")) {
                reports.add(m);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    public LeakLog() {
        logger.addHandler(handler);
    }

    /** The leak reports so far, after giving leaked buffers the chance to be reported. */
    public List<String> reports() {
        for (int round = 0; round < 3; round++) {
            System.gc();
            for (int i = 0; i < 64; i++) {
                ByteBuf b = ByteBufAllocator.DEFAULT.directBuffer(16);
                b.release();
            }
        }
        return List.copyOf(reports);
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
    }
}
