package io.pharos.proxy.continuity.journal;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Records whose whole content follows from (writer, n), so a reader can check any of them exactly. */
final class TestRecords {
    private TestRecords() {
    }

    static JournalRecord record(int writer, long n) {
        String key = "w" + writer + "-" + n;
        return JournalRecord.unsequenced("eu-west", "kv", 3, "tenant-" + (n % 7), "idem-" + key, n % 2 == 0 ? "POST" : "PUT",
                "/kv/" + key + "?v=" + n,
                List.of(new JournalRecord.Header("Content-Type", "application/json"), new JournalRecord.Header("X-N", Long.toString(n))),
                body(writer, n), 200 + (int) (n % 3), n % 3 == 0 ? null : "\"e" + n + "\"", n % 5 == 0 ? "/kv/" + key : null);
    }

    /** A body of 0..600 bytes, its length and bytes fixed by (writer, n). */
    static byte[] body(int writer, long n) {
        int len = (int) ((n * 31 + writer * 17) % 601);
        StringBuilder b = new StringBuilder(len);
        for (int i = 0; i < len; i++) {
            b.append((char) ('a' + (i + n + writer) % 26));
        }
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** True when {@code r} is what {@link #record} built for (writer, n), whatever sequence and time it got. */
    static boolean matches(JournalRecord r, int writer, long n) {
        return r.withSequence(0, 0).equals(record(writer, n));
    }

    /** A clock tests move by hand. */
    static final class ManualClock extends Clock {
        final AtomicLong millis = new AtomicLong(1_700_000_000_000L);

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }

        @Override
        public long millis() {
            return millis.get();
        }
    }
}
