package io.pharos.proxy.lb;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.LoadBalancer;
import io.pharos.proxy.cluster.PickContext;
import io.pharos.proxy.config.PharosConfig.Algorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.pharos.proxy.lb.TestMembers.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ring-hash and maglev: key affinity, and how many keys move when membership changes. */
class ConsistentHashTest {
    private static final int KEYS = 20_000;
    private static final int N = 10;

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"RING_HASH", "MAGLEV"})
    void sameKeySameBackendAcrossIndependentBuilds(Algorithm algorithm) {
        List<Backend> backends = backends(N);
        LoadBalancer a = build(config(algorithm), members(backends));
        LoadBalancer b = build(config(algorithm), members(backends));
        PickContext ctx = plain();
        Set<Backend> used = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            Backend first = a.pick(ctx.reset(keyHeaders("user-" + i), null));
            assertSame(first, a.pick(ctx.reset(keyHeaders("user-" + i), null)));
            assertSame(first, b.pick(ctx.reset(keyHeaders("user-" + i), null)));
            used.add(first);
        }
        assertEquals(N, used.size(), "keys spread over every backend");
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"RING_HASH", "MAGLEV"})
    void addingOneBackendMovesAboutItsShareOfKeys(Algorithm algorithm) {
        List<Backend> backends = backends(N + 1);
        List<Backend> before = backends.subList(0, N);
        Backend[] was = assign(build(config(algorithm), members(before)));
        Backend[] now = assign(build(config(algorithm), members(backends)));
        int moved = 0;
        int movedElsewhere = 0;
        for (int i = 0; i < KEYS; i++) {
            if (was[i] != now[i]) {
                moved++;
                if (now[i] != backends.get(N)) {
                    movedElsewhere++;
                }
            }
        }
        double share = (double) moved / KEYS;
        double ideal = 1.0 / (N + 1);
        // measured: ring-hash moves exactly the new backend's keys; maglev adds about a point of churn
        assertTrue(share <= ideal + 0.03, algorithm + " moved " + share + " of keys (ideal " + ideal + ")");
        assertTrue(share >= ideal - 0.03, algorithm + " moved " + share + " of keys (ideal " + ideal + ")");
        if (algorithm == Algorithm.RING_HASH) {
            assertEquals(0, movedElsewhere, "ring-hash: every moved key moved to the new backend");
        } else {
            assertTrue(movedElsewhere <= KEYS * 0.02, "maglev: " + movedElsewhere + " keys moved between old backends");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"RING_HASH", "MAGLEV"})
    void removingOneBackendMovesItsKeys(Algorithm algorithm) {
        List<Backend> backends = backends(N);
        List<Backend> after = new ArrayList<>(backends);
        Backend removed = after.remove(3);
        Backend[] was = assign(build(config(algorithm), members(backends)));
        Backend[] now = assign(build(config(algorithm), members(after)));
        int others = 0;
        for (int i = 0; i < KEYS; i++) {
            if (was[i] == removed) {
                assertTrue(now[i] != removed);
            } else if (was[i] != now[i]) {
                others++;
            }
        }
        if (algorithm == Algorithm.RING_HASH) {
            assertEquals(0, others, "ring-hash: only the removed backend's keys move");
        } else {
            assertTrue(others <= KEYS * 0.02, "maglev: " + others + " keys of remaining backends moved");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"RING_HASH", "MAGLEV"})
    void requestsWithoutTheKeyAreSpreadAtRandom(Algorithm algorithm) {
        List<Backend> backends = backends(4);
        LoadBalancer lb = build(config(algorithm), members(backends));
        PickContext ctx = plain();
        int[] counts = new int[4];
        for (int i = 0; i < 4000; i++) {
            counts[indexOf(backends, lb.pick(ctx.reset(new DefaultHttpHeaders(), null)))]++;
        }
        for (int c : counts) {
            assertTrue(c > 700, "spread " + java.util.Arrays.toString(counts));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"RING_HASH", "MAGLEV"})
    void triedBackendIsPassedOverForTheNextOnTheRing(Algorithm algorithm) {
        List<Backend> backends = backends(N);
        LoadBalancer lb = build(config(algorithm), members(backends));
        PickContext ctx = plain();
        for (int i = 0; i < 500; i++) {
            Backend first = lb.pick(ctx.reset(keyHeaders("user-" + i), null));
            ctx.addTried(first);
            Backend second = lb.pick(ctx);
            assertNotNull(second);
            assertTrue(second != first);
            ctx.addTried(second);
            PickContext again = plain().reset(keyHeaders("user-" + i), null);
            again.addTried(first);
            assertSame(second, lb.pick(again), "the retry target is stable per key");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"RING_HASH", "MAGLEV"})
    void explicitHashKeyTakesThePlaceOfTheConfiguredOne(Algorithm algorithm) {
        List<Backend> backends = backends(N);
        LoadBalancer lb = build(config(algorithm), members(backends));
        PickContext ctx = plain();
        Set<Backend> used = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            Backend byHeader = lb.pick(ctx.reset(keyHeaders("tenant-" + i), null));
            Backend explicit = lb.pick(ctx.reset(keyHeaders("someone-else"), null).hashKey("tenant-" + i));
            assertSame(byHeader, explicit, "tenant-" + i);
            Backend withoutHeaders = lb.pick(ctx.reset(null, null).hashKey("tenant-" + i));
            assertSame(byHeader, withoutHeaders, "tenant-" + i + " without headers");
            used.add(explicit);
        }
        assertEquals(N, used.size());
        assertEquals(null, ctx.reset(null, null).hashKey(), "reset clears the explicit key");
    }

    @Test
    void cookieKeyIsFoundAmongOtherCookies() {
        List<Backend> backends = backends(N);
        LoadBalancer lb = build(hashConfig(Algorithm.MAGLEV, "cookie:session", 1024, 65537), members(backends));
        PickContext ctx = plain();
        Set<Backend> used = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            Backend alone = lb.pick(ctx.reset(new DefaultHttpHeaders().set(HttpHeaderNames.COOKIE, "session=s" + i), null));
            Backend among = lb.pick(ctx.reset(new DefaultHttpHeaders().set(HttpHeaderNames.COOKIE,
                    "theme=dark; xsession=nope; session=s" + i + " ; lang=en"), null));
            assertSame(alone, among, "cookie s" + i);
            used.add(alone);
        }
        assertEquals(N, used.size());
    }

    @Test
    void sourceIpKeyMapsOneClientToOneBackend() {
        List<Backend> backends = backends(N);
        LoadBalancer lb = build(hashConfig(Algorithm.RING_HASH, "source-ip", 1024, 65537), members(backends));
        PickContext ctx = plain();
        Set<Backend> used = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            String ip = "10.0." + (i / 250) + "." + (i % 250);
            Backend first = lb.pick(ctx.reset(null, new InetSocketAddress(ip, 40000)));
            assertSame(first, lb.pick(ctx.reset(null, new InetSocketAddress(ip, 50000 + i))), "client port does not matter");
            used.add(first);
        }
        assertEquals(N, used.size());
    }

    @Test
    void maglevRefusesACompositeTableSize() {
        var members = members(backends(3));
        var error = assertThrows(IllegalArgumentException.class,
                () -> build(hashConfig(Algorithm.MAGLEV, "header:" + KEY_HEADER, 1024, 65536), members));
        assertTrue(error.getMessage().contains("65536"), error.getMessage());
        assertNotNull(build(hashConfig(Algorithm.MAGLEV, "header:" + KEY_HEADER, 1024, 7), members).pick(plain().reset(keyHeaders("k"), null)));
    }

    @Test
    void hashOfRequestKeyIsStable() {
        // pinned: a key must land on the same backend on every proxy and after every restart
        assertEquals(Hashing.hashChars("user-42"), Hashing.hashChars("xuser-42", 1, 8));
        assertEquals(0xa39532c7ab051e8dL, Hashing.hashChars("user-42"));
    }

    private static Backend[] assign(LoadBalancer lb) {
        PickContext ctx = plain();
        Backend[] out = new Backend[KEYS];
        for (int i = 0; i < KEYS; i++) {
            out[i] = lb.pick(ctx.reset(keyHeaders("user-" + i), null));
        }
        return out;
    }
}
