package io.pharos.proxy.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Reads a key-value app's store directory straight from disk, without a running instance: what a checker
 * compares between two regions. Reads without taking the store's lock and changes nothing; a torn tail
 * is left out, as the instances would. Stateless; any thread; blocks on file I/O.
 */
public final class KvStoreDump {
    private KvStoreDump() {
    }

    /**
     * One key as the store holds it. {@code version} counts the key's writes (PUT, POST, DELETE) from 1;
     * a deleted key stays as a tombstone ({@code deleted}, no values) so that its history remains.
     * {@code idempotencyKeys} and {@code replays} list, in order, the Idempotency-Key and the
     * {@code Pharos-Replay} header of each applied write that carried one. {@code values} holds byte arrays:
     * compare with {@link #utf8Values()}, not {@code equals}.
     */
    public record Key(long version, boolean deleted, List<byte[]> values, List<String> idempotencyKeys, List<String> replays) {
        public List<String> utf8Values() {
            return values.stream().map(v -> new String(v, StandardCharsets.UTF_8)).toList();
        }
    }

    /** Every key of the store in {@code dir}, sorted by key; empty when there is no store there. */
    public static Map<String, Key> read(Path dir) throws IOException {
        KvState state = new KvState();
        for (KvEntry e : KvLog.scan(dir).entries()) {
            state.apply(e);
        }
        return state.keys();
    }
}
