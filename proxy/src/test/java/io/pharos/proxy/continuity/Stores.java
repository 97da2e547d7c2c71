package io.pharos.proxy.continuity;

import io.pharos.proxy.demo.KvStoreDump;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks on a region's key-value store, read from its directory ({@link KvStoreDump}). Stateless. */
final class Stores {
    private Stores() {
    }

    static Map<String, KvStoreDump.Key> read(Path store) throws Exception {
        return KvStoreDump.read(store);
    }

    /** Write {@code i} of {@link KeyedWrites} is in {@code store} exactly once: one value, its own, applied under its key once. */
    static void assertExactlyOnce(Map<String, KvStoreDump.Key> store, int i, String where) {
        KvStoreDump.Key k = store.get(KeyedWrites.key(i));
        assertTrue(k != null, where + ": write " + i + " missing");
        assertEquals(List.of(KeyedWrites.value(i)), k.utf8Values(), where + ": values of " + KeyedWrites.key(i));
        assertEquals(List.of(KeyedWrites.idempotencyKey(i)), k.idempotencyKeys(), where + ": keys applied to " + KeyedWrites.key(i));
        assertEquals(1, k.version(), where + ": version of " + KeyedWrites.key(i));
    }

    /** No key of {@code store} was written more than once (an append applied twice shows as two values). */
    static void assertNothingTwice(Map<String, KvStoreDump.Key> store, String where) {
        List<String> twice = new ArrayList<>();
        store.forEach((key, k) -> {
            if (k.version() != 1 || k.values().size() != 1 || k.idempotencyKeys().size() != 1) {
                twice.add(key + "=" + k.utf8Values() + " keys " + k.idempotencyKeys() + " v" + k.version());
            }
        });
        assertTrue(twice.isEmpty(), where + ": written more than once: " + twice);
    }
}
