package io.pharos.proxy.lb;

import io.pharos.proxy.testing.ProxyHarness;
import io.pharos.proxy.testing.RawHttp;
import io.pharos.proxy.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three real HTTP backends on loopback weighted 1:2:3 behind the in-process proxy: 6 000 requests
 * from three keep-alive clients land in that ratio, as counted by the backends themselves.
 */
class WeightedDistributionIT {
    private static final int[] WEIGHTS = {1, 2, 3};
    private static final int REQUESTS = 6000;

    private ProxyHarness h;

    @BeforeEach
    void setUp() {
        h = new ProxyHarness();
    }

    @AfterEach
    void tearDown() {
        h.close();
    }

    /**
     * Tolerance is an absolute share: weighted round robin is exact up to the requests in flight at
     * the end; the random draws of random and least-request stay within 4.5 standard deviations
     * (σ ≤ 0.0065 for 6 000 requests). Least-request splits by weight only while the backends are
     * equally idle (its draws are weighted, a tie keeps the first): with requests in flight it prefers
     * the less loaded per weight, which is not the weight ratio, so it gets one client at a time (every
     * pick sees 0 in flight); how it moves load away from busy backends is tested in {@code PowerOfChoicesLoadBalancerTest}.
     */
    @ParameterizedTest
    @CsvSource({"weighted-round-robin, 0.005, 3", "random, 0.03, 3", "least-request, 0.03, 1"})
    void backendsWeighted123ReceiveRequestsInThatRatio(String balancer, double tolerance, int clientCount) throws Exception {
        StringBuilder backends = new StringBuilder();
        for (int i = 0; i < WEIGHTS.length; i++) {
            TestBackend b = h.addBackend("b" + i);
            backends.append("{ name = ").append(b.name()).append(", address = \"").append(b.address())
                    .append("\", weight = ").append(WEIGHTS[i]).append(" }\n");
        }
        h.start("pharos {\n workers = 2\n"
                + " listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app } ]\n"
                + " clusters { app {\n balancer = " + balancer + "\n backends = [\n" + backends + " ]\n } }\n}\n");

        int perClient = REQUESTS / clientCount;
        ExecutorService clients = Executors.newFixedThreadPool(clientCount);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int c = 0; c < clientCount; c++) {
                done.add(clients.submit(() -> {
                    int ok = 0;
                    try (RawHttp raw = new RawHttp(h.port())) {
                        for (int i = 0; i < perClient; i++) {
                            raw.send("GET /r" + i + " HTTP/1.1\r\nHost: test\r\n\r\n");
                            ok += raw.read().status() == 200 ? 1 : 0;
                        }
                    }
                    return ok;
                }));
            }
            for (Future<Integer> f : done) {
                assertEquals(perClient, f.get(120, TimeUnit.SECONDS), "answers with status 200");
            }
        } finally {
            clients.shutdownNow();
            clients.awaitTermination(10, TimeUnit.SECONDS);
        }

        int total = perClient * clientCount;
        int counted = 0;
        for (TestBackend b : h.backends()) {
            counted += b.requests();
        }
        assertEquals(total, counted, "every request reached exactly one backend");
        for (int i = 0; i < WEIGHTS.length; i++) {
            double share = (double) h.backends().get(i).requests() / total;
            double expected = WEIGHTS[i] / 6.0;
            assertTrue(Math.abs(share - expected) <= tolerance,
                    balancer + ": b" + i + " got share " + share + " (expected: " + expected + " ± " + tolerance + ")");
        }
    }
}
