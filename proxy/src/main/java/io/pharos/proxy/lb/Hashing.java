package io.pharos.proxy.lb;

/**
 * 64-bit hashing for consistent hashing, allocation-free: FNV-1a over UTF-16 chars finished with
 * murmur3's {@code fmix64} avalanche. Stable across JVMs and restarts (nothing here depends on
 * {@link Object#hashCode()} or a random seed), so a key lands on the same backend on every proxy.
 * Stateless; any thread.
 */
final class Hashing {
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private Hashing() {
    }

    /** murmur3 {@code fmix64}: every input bit affects every output bit. */
    static long mix64(long z) {
        z ^= z >>> 33;
        z *= 0xff51afd7ed558ccdL;
        z ^= z >>> 33;
        z *= 0xc4ceb9fe1a85ec53L;
        z ^= z >>> 33;
        return z;
    }

    /** Hash of {@code s.subSequence(from, to)} without creating it. */
    static long hashChars(CharSequence s, int from, int to) {
        long h = FNV_OFFSET;
        for (int i = from; i < to; i++) {
            h ^= s.charAt(i);
            h *= FNV_PRIME;
        }
        return mix64(h);
    }

    static long hashChars(CharSequence s) {
        return hashChars(s, 0, s.length());
    }
}
