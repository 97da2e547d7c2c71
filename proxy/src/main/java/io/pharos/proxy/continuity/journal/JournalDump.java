package io.pharos.proxy.continuity.journal;

import io.pharos.health.JsonText;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * {@code pharos journal dump DIR [--from SEQ] [--json]}: prints a journal's records, its confirmed
 * watermark and the torn tail that recovery would cut off, for the operator at 3 a.m. Reads only: it
 * never truncates or writes, so it is safe on the directory of a running proxy. Exit codes: 0 read
 * cleanly (a torn tail included), 1 corruption or I/O error, 2 usage. Runs on the caller's thread.
 */
public final class JournalDump {
    private static final int PREFIX_BYTES = 64;

    private JournalDump() {
    }

    /** Runs {@code journal ARGS...} (the first argument is the subcommand, {@code dump}). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length < 2 || !args[0].equals("dump")) {
            usage(err);
            return 2;
        }
        Path dir = Path.of(args[1]);
        long from = 1;
        boolean json = false;
        for (int i = 2; i < args.length; i++) {
            if (args[i].equals("--json")) {
                json = true;
            } else if (args[i].equals("--from") && i + 1 < args.length) {
                try {
                    from = Long.parseLong(args[++i]);
                } catch (NumberFormatException e) {
                    err.println("pharos journal dump: --from: not a sequence: '" + args[i] + "'");
                    return 2;
                }
            } else {
                usage(err);
                return 2;
            }
        }
        if (!Files.isDirectory(dir)) {
            err.println("pharos journal dump: " + dir + " is not a directory");
            return 2;
        }
        try {
            dump(dir, from, json, out);
            return 0;
        } catch (IOException | MalformedRecordException e) {
            out.flush();
            err.println("pharos journal dump: " + e.getMessage());
            return 1;
        }
    }

    /** One line for {@code pharos --help}. */
    public static String usageLine() {
        return "pharos journal dump DIR [--from SEQ] [--json]   print a continuity journal (reads only)";
    }

    private static void usage(PrintStream err) {
        err.println("usage: " + usageLine());
    }

    private static void dump(Path dir, long from, boolean json, PrintStream out) throws IOException {
        JournalScan scan = JournalScan.of(dir);
        long confirmed = Watermark.read(dir);
        long bytes = 0;
        for (Segment s : scan.segments()) {
            bytes += s.bytes();
        }
        long first = scan.segments().isEmpty() || scan.segments().get(0).count() == 0 ? 0 : scan.segments().get(0).firstSequence;
        long last = scan.lastSequence();
        if (json) {
            out.println("{\"journal\":" + quote(dir.toString()) + ",\"segments\":" + scan.segments().size() + ",\"bytes\":" + bytes
                    + ",\"first\":" + first + ",\"last\":" + last + ",\"confirmed\":" + confirmed + "}");
        } else {
            out.println("journal " + dir + ": " + scan.segments().size() + " segments, " + bytes + " bytes, sequences "
                    + (first == 0 ? "none" : first + ".." + last) + ", confirmed " + confirmed);
        }
        for (Segment s : scan.segments()) {
            if (s.count() == 0 || s.lastSequence() < from) {
                continue;
            }
            try (FileChannel ch = FileChannel.open(s.file, StandardOpenOption.READ)) {
                for (long seq = Math.max(from, s.firstSequence); seq <= s.lastSequence(); seq++) {
                    Frames.Frame f = Frames.read(ch, s.offsetOf(seq), s.endOf(seq));
                    if (f.kind() != Frames.Kind.OK) {
                        throw new JournalCorruptException(s.file, s.offsetOf(seq), "record " + seq + " changed while reading");
                    }
                    JournalRecord r = RecordCodec.decode(f.payload());
                    out.println(json ? json(r) : text(r, seq <= confirmed));
                }
            }
        }
        JournalScan.TornTail t = scan.tornTail();
        if (t != null) {
            if (json) {
                out.println("{\"tornTail\":{\"file\":" + quote(t.file().getFileName().toString()) + ",\"offset\":" + t.offset()
                        + ",\"bytes\":" + t.bytes() + ",\"problem\":" + quote(t.problem()) + "}}");
            } else {
                out.println("torn tail: " + t.file().getFileName() + " at offset " + t.offset() + ": " + t.bytes()
                        + " bytes that recovery would truncate (" + t.problem() + ")");
            }
        }
    }

    private static String text(JournalRecord r, boolean confirmed) {
        return "seq=" + r.sequence() + (confirmed ? " confirmed" : "") + " time=" + Instant.ofEpochMilli(r.appendTimeMillis())
                + " origin=" + r.originRegion() + "/" + r.epoch() + " cluster=" + r.cluster() + " key=" + r.partitionKey() + " idem=" + r.idempotencyKey()
                + " " + r.method() + " " + r.target() + " status=" + r.status() + " body=" + r.body().length + "B "
                + quote(prefix(r.body()));
    }

    private static String json(JournalRecord r) {
        StringBuilder b = new StringBuilder(256);
        b.append("{\"seq\":").append(r.sequence())
                .append(",\"time\":").append(quote(Instant.ofEpochMilli(r.appendTimeMillis()).toString()))
                .append(",\"origin\":").append(quote(r.originRegion()))
                .append(",\"cluster\":").append(quote(r.cluster()))
                .append(",\"epoch\":").append(r.epoch())
                .append(",\"key\":").append(quote(r.partitionKey()))
                .append(",\"idempotencyKey\":").append(quote(r.idempotencyKey()))
                .append(",\"method\":").append(quote(r.method()))
                .append(",\"target\":").append(quote(r.target()))
                .append(",\"status\":").append(r.status())
                .append(",\"etag\":").append(r.etag() == null ? "null" : quote(r.etag()))
                .append(",\"location\":").append(r.location() == null ? "null" : quote(r.location()))
                .append(",\"headers\":[");
        for (int i = 0; i < r.headers().size(); i++) {
            JournalRecord.Header h = r.headers().get(i);
            b.append(i == 0 ? "" : ",").append('[').append(quote(h.name())).append(',').append(quote(h.value())).append(']');
        }
        return b.append("],\"bodyBytes\":").append(r.body().length)
                .append(",\"bodyPrefix\":").append(quote(prefix(r.body()))).append('}').toString();
    }

    /** The first bytes of a body as text, with anything unprintable as '.'. */
    private static String prefix(byte[] body) {
        int n = Math.min(body.length, PREFIX_BYTES);
        String s = new String(body, 0, n, StandardCharsets.UTF_8);
        StringBuilder b = new StringBuilder(s.length() + 3);
        s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) || c == 0xFFFD ? '.' : c));
        return body.length > n ? b.append("...").toString() : b.toString();
    }

    /** A JSON string literal (also used for the text form, so a prefix cannot break the line). */
    private static String quote(String s) {
        return JsonText.quote(new StringBuilder(s.length() + 2), s).toString();
    }
}
