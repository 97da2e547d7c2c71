package io.pharos.proxy.metrics;

import io.pharos.health.JsonText;
import org.jctools.queues.MpscArrayQueue;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The enabled access log: loops {@code relaxedOffer} records to a JCTools MPSC queue; one daemon
 * thread ({@code pharos-access-log}) drains it in batches, formats JSON and writes.
 */
final class QueuedAccessLog implements AccessLog {
    private static final Logger LOG = Logger.getLogger(QueuedAccessLog.class.getName());
    private static final int CAPACITY = 1 << 16;

    private record Entry(long epochMillis, String listener, String method, String uri, int status, String backend, long nanos) {
    }

    private final MpscArrayQueue<Entry> queue = new MpscArrayQueue<>(CAPACITY);
    private final LongAdder dropped = new LongAdder();
    private final BufferedWriter out;
    private final Thread writer;
    /** Set by {@link #close()}; read by the writer thread. */
    private volatile boolean stopping;

    private QueuedAccessLog(BufferedWriter out) {
        this.out = out;
        this.writer = new Thread(this::run, "pharos-access-log");
        this.writer.setDaemon(true);
    }

    static QueuedAccessLog open(Path file) throws IOException {
        BufferedWriter w = file == null
                ? new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8))
                : Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        QueuedAccessLog log = new QueuedAccessLog(w);
        log.writer.start();
        return log;
    }

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public void log(String listener, String method, String uri, int status, String backend, long nanos) {
        if (!queue.relaxedOffer(new Entry(System.currentTimeMillis(), listener, method, uri, status, backend, nanos))) {
            dropped.increment();
        }
    }

    @Override
    public long dropped() {
        return dropped.sum();
    }

    private void run() {
        StringBuilder sb = new StringBuilder(256);
        while (true) {
            boolean stop = stopping;
            int n = queue.drain(e -> write(sb, e), 1024);
            try {
                if (n > 0) {
                    out.flush();
                }
            } catch (IOException e) {
                LOG.log(Level.WARNING, "access log: " + e.getMessage());
            }
            if (n == 0) {
                if (stop) {
                    return;
                }
                LockSupport.parkNanos(5_000_000);
            }
        }
    }

    private void write(StringBuilder sb, Entry e) {
        sb.setLength(0);
        sb.append("{\"time\":\"").append(Instant.ofEpochMilli(e.epochMillis())).append("\",\"listener\":");
        JsonText.quote(sb, e.listener());
        sb.append(",\"method\":");
        JsonText.quote(sb, e.method());
        sb.append(",\"uri\":");
        JsonText.quote(sb, e.uri());
        sb.append(",\"status\":").append(e.status()).append(",\"backend\":");
        if (e.backend() == null) {
            sb.append("null");
        } else {
            JsonText.quote(sb, e.backend());
        }
        sb.append(",\"duration_ms\":").append(e.nanos() / 1_000_000.0).append("}\n");
        try {
            out.append(sb);
        } catch (IOException ex) {
            dropped.increment();
        }
    }

    @Override
    public void close() {
        stopping = true;
        try {
            writer.join(5000);
            out.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "access log: " + e.getMessage());
        }
    }
}
