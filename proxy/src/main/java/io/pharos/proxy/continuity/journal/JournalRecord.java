package io.pharos.proxy.continuity.journal;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One acknowledged write as the journal keeps it: where it came from (origin region, the cluster that
 * served it there and replays it at the peer, epoch), its place
 * in the journal (sequence, append time: both stamped by the journal's writer), and everything the peer
 * region needs to replay it with the same effect (partition key, Idempotency-Key, method, target, the
 * allow-listed headers in order, the body) plus what the local backend answered (status, {@code ETag},
 * {@code Location}).
 *
 * <p>Immutable except for {@link #body()}: the array is not copied, for the cost of large bodies; nobody
 * may change it once the record is built. {@code etag} and {@code location} are {@code null} when the
 * local answer had none. Build one with {@link #unsequenced}; {@link Journal#append} assigns the rest.
 */
public record JournalRecord(
        String originRegion,
        String cluster,
        long epoch,
        long sequence,
        String partitionKey,
        String idempotencyKey,
        String method,
        String target,
        List<Header> headers,
        byte[] body,
        int status,
        String etag,
        String location,
        long appendTimeMillis) {

    /** One request header, in the order the client sent it (names may repeat). */
    public record Header(String name, String value) {
        public Header {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
        }
    }

    public JournalRecord {
        Objects.requireNonNull(originRegion, "originRegion");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(partitionKey, "partitionKey");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(body, "body");
        headers = List.copyOf(headers);
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch: " + epoch + " (expected: >= 0)");
        }
        if (sequence < 0) {
            throw new IllegalArgumentException("sequence: " + sequence + " (expected: >= 0)");
        }
        if (status < 100 || status > 999) {
            throw new IllegalArgumentException("status: " + status + " (expected: 100..999)");
        }
    }

    /** A record before the journal took it: sequence and append time 0 (the writer stamps both). */
    public static JournalRecord unsequenced(String originRegion, String cluster, long epoch, String partitionKey,
                                            String idempotencyKey, String method, String target,
                                            List<Header> headers, byte[] body, int status, String etag,
                                            String location) {
        return new JournalRecord(originRegion, cluster, epoch, 0, partitionKey, idempotencyKey, method, target,
                headers, body, status, etag, location, 0);
    }

    /** This record with the place the journal gave it. */
    public JournalRecord withSequence(long sequence, long appendTimeMillis) {
        return new JournalRecord(originRegion, cluster, epoch, sequence, partitionKey, idempotencyKey, method, target,
                headers, body, status, etag, location, appendTimeMillis);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JournalRecord r
                && epoch == r.epoch && sequence == r.sequence && status == r.status
                && appendTimeMillis == r.appendTimeMillis
                && originRegion.equals(r.originRegion) && cluster.equals(r.cluster) && partitionKey.equals(r.partitionKey)
                && idempotencyKey.equals(r.idempotencyKey) && method.equals(r.method)
                && target.equals(r.target) && headers.equals(r.headers) && Arrays.equals(body, r.body)
                && Objects.equals(etag, r.etag) && Objects.equals(location, r.location);
    }

    @Override
    public int hashCode() {
        return Objects.hash(originRegion, cluster, epoch, sequence, partitionKey, idempotencyKey, method, target,
                headers, Arrays.hashCode(body), status, etag, location, appendTimeMillis);
    }

    @Override
    public String toString() {
        return "JournalRecord[" + originRegion + "/" + epoch + "/" + sequence + " " + cluster + " " + method + " " + target
                + " key=" + partitionKey + " idem=" + idempotencyKey + " status=" + status
                + " body=" + body.length + "B time=" + appendTimeMillis + "]";
    }
}
