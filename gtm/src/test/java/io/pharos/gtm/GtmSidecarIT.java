package io.pharos.gtm;

import io.pharos.health.event.HealthEvent;
import io.pharos.health.event.ipc.EventRingWriter;
import io.pharos.health.testing.Await;
import io.pharos.health.testing.PomVersion;
import org.agrona.concurrent.SystemEpochClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The sidecar in process against a real BIND and two tiny HTTP regions on 127.0.0.2 / 127.0.0.3:
 * failover, automatic and manual failback, all-down, the admin endpoint, two sidecars converging,
 * and the proxy's cluster-down event triggering fast re-probes.
 */
class GtmSidecarIT {
    private static final String APP = "app.example.test.";
    private static final String STATE = "_pharos.app.example.test.";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private BindServer bind;
    private RegionServer primary;
    private RegionServer secondary;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeEach
    void start() throws Exception {
        bind = BindServer.start(dir, "127.0.0.2");
        primary = new RegionServer("127.0.0.2").start();
        secondary = new RegionServer("127.0.0.3").start();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
        primary.close();
        secondary.close();
        bind.stop();
    }

    private GtmSidecar sidecar(String extra) throws Exception {
        GtmSidecar s = GtmSidecar.start(GtmTestSupport.config(bind, bind.secret, primary.url(), secondary.url(), extra));
        toClose.add(s);
        return s;
    }

    private boolean dnsIs(String address, String state) {
        try {
            return bind.addresses(APP).equals(List.of(address)) && bind.txt(STATE).equals(List.of(state));
        } catch (Exception e) {
            return false;
        }
    }

    private HttpResponse<String> get(GtmSidecar s, String path, String token) throws Exception {
        return send(s, "GET", path, token);
    }

    private HttpResponse<String> send(GtmSidecar s, String method, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.adminAddress().getPort() + path))
                .timeout(Duration.ofSeconds(30)).method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String status(GtmSidecar s, String token) {
        try {
            return get(s, "/status", token).body();
        } catch (Exception e) {
            return "";
        }
    }

    @Test
    void failsOverFailsBackAutomaticallyAndKeepsTheAnswerWhenAllAreDown() throws Exception {
        GtmSidecar s = sidecar("failback = auto");
        Await.until(WAIT, "the sidecar writes the first state", () -> dnsIs("127.0.0.2", "epoch=1 region=primary"));
        Await.until(WAIT, "status shows primary active", () -> status(s, null).contains("\"active\":\"primary\",\"epoch\":1"));

        long killed = System.nanoTime();
        primary.stop();
        Await.until(WAIT, "DNS points at secondary", () -> dnsIs("127.0.0.3", "epoch=2 region=secondary"));
        System.out.printf("failover: primary killed -> new answer from BIND in %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
        String st = status(s, null);
        assertTrue(st.contains("\"lastDecision\":{\"kind\":\"switch\",\"cause\":\"region-down\",\"from\":\"primary\",\"to\":\"secondary\""), st);
        assertTrue(st.contains("consecutive failed rounds (connect refused)"), st);

        primary.start();
        Await.until(WAIT, "auto failback after M successes and min-hold", () -> dnsIs("127.0.0.2", "epoch=3 region=primary"));

        secondary.stop();
        Await.until(WAIT, "secondary down by the sidecar's probes",
                () -> status(s, null).contains("\"name\":\"secondary\",\"priority\":1,\"status\":\"down\""));
        primary.stop();
        Await.until(WAIT, "all-down alert", () -> status(s, null).contains("\"alert\":\"every region is down; keeping primary"));
        assertTrue(dnsIs("127.0.0.2", "epoch=3 region=primary"), "the answer is kept, never emptied");
        String metrics = get(s, "/metrics", null).body();
        assertTrue(metrics.contains("pharos_gtm_alert 1"), metrics);
        assertTrue(metrics.contains("pharos_gtm_switches_total 2"), metrics);
        assertTrue(metrics.contains("pharos_gtm_dns_epoch 3"), metrics);
        assertTrue(metrics.contains("pharos_gtm_region_up{region=\"primary\"} 0"), metrics);
    }

    @Test
    void manualFailbackWaitsForTheOperatorAndTheAdminEndpointChecksItsInput() throws Exception {
        GtmSidecar s = sidecar("failback = manual, admin { listen = \"127.0.0.1:0\", token = s3cret-s3cret-s3cret }");
        Await.until(WAIT, "first state", () -> dnsIs("127.0.0.2", "epoch=1 region=primary"));
        assertEquals(401, get(s, "/status", null).statusCode());
        assertEquals(401, get(s, "/status", "wrong").statusCode());
        HttpResponse<String> noToken = send(s, "POST", "/failback", null);
        assertEquals(401, noToken.statusCode());
        assertTrue(noToken.body().contains("\"error\""), noToken.body());

        primary.stop();
        Await.until(WAIT, "failover", () -> dnsIs("127.0.0.3", "epoch=2 region=secondary"));
        primary.start();
        Await.until(WAIT, "primary up again by the sidecar's probes",
                () -> status(s, "s3cret-s3cret-s3cret").contains("\"name\":\"primary\",\"priority\":0,\"status\":\"up\""));
        String before = status(s, "s3cret-s3cret-s3cret");
        assertTrue(before.contains("\"active\":\"secondary\""), before);
        assertTrue(dnsIs("127.0.0.3", "epoch=2 region=secondary"), "manual: no failback by itself");

        HttpResponse<String> bad = send(s, "POST", "/failover?to=mars", "s3cret-s3cret-s3cret");
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("unknown region 'mars'"), bad.body());
        assertEquals(400, send(s, "POST", "/failover", "s3cret-s3cret-s3cret").statusCode());
        assertEquals(409, send(s, "POST", "/failover?to=secondary", "s3cret-s3cret-s3cret").statusCode());
        assertEquals(405, send(s, "POST", "/status", "s3cret-s3cret-s3cret").statusCode());
        assertEquals(404, get(s, "/nope", "s3cret-s3cret-s3cret").statusCode());

        HttpResponse<String> back = send(s, "POST", "/failback", "s3cret-s3cret-s3cret");
        assertEquals(202, back.statusCode(), back.body());
        assertTrue(back.body().contains("\"to\":\"primary\""), back.body());
        Await.until(WAIT, "manual failback applied", () -> dnsIs("127.0.0.2", "epoch=3 region=primary"));
        Await.until(WAIT, "and confirmed by the sidecar", () -> status(s, "s3cret-s3cret-s3cret").contains("\"active\":\"primary\",\"epoch\":3,"));

        HttpResponse<String> manual = send(s, "POST", "/failover?to=secondary", "s3cret-s3cret-s3cret");
        assertEquals(202, manual.statusCode(), manual.body());
        Await.until(WAIT, "manual failover applied, holding failback", () -> dnsIs("127.0.0.3", "epoch=4 region=secondary hold=failback"));
    }

    @Test
    void manualFailoverUnderAutoFailbackHoldsUntilFailbackOnEverySidecarOrForItsHoldTime() throws Exception {
        GtmSidecar a = sidecar("failback = auto");
        GtmSidecar b = sidecar("failback = auto");
        Await.until(WAIT, "first state", () -> dnsIs("127.0.0.2", "epoch=1 region=primary"));
        Await.until(WAIT, "both follow it", () -> status(a, null).contains("\"epoch\":1") && status(b, null).contains("\"epoch\":1"));

        HttpResponse<String> manual = send(a, "POST", "/failover?to=secondary", null);
        assertEquals(202, manual.statusCode(), manual.body());
        assertTrue(manual.body().contains("\"cause\":\"manual-failover\""), manual.body());
        assertTrue(manual.body().contains("\"hold\":\"failback\""), manual.body());
        Await.until(WAIT, "the hold is written with the switch", () -> dnsIs("127.0.0.3", "epoch=2 region=secondary hold=failback"));
        Await.until(WAIT, "the other sidecar adopts the switch and its hold",
                () -> status(b, null).contains("\"active\":\"secondary\",\"epoch\":2") && status(b, null).contains("\"hold\":{\"until\":\"failback\""));
        // min-hold is 1 s and M is 3 rounds of 200 ms: wait for ten times both, measured by the sidecars themselves
        for (GtmSidecar s : List.of(a, b)) {
            Await.until(WAIT, "primary healthy for 30 rounds and secondary active for 10 s", () -> {
                String st = status(s, null);
                return activeForMillis(st) >= 10_000 && st.matches("(?s).*\"name\":\"primary\",[^}]*\"consecutiveSuccesses\":([3-9]\\d|\\d{3,}),.*");
            });
        }
        assertTrue(dnsIs("127.0.0.3", "epoch=2 region=secondary hold=failback"), "held: no automatic failback by either sidecar");

        HttpResponse<String> back = send(b, "POST", "/failback", null);
        assertEquals(202, back.statusCode(), back.body());
        Await.until(WAIT, "POST /failback on any sidecar ends the hold", () -> dnsIs("127.0.0.2", "epoch=3 region=primary"));

        Await.until(WAIT, "a follows epoch 3", () -> status(a, null).contains("\"active\":\"primary\",\"epoch\":3"));
        HttpResponse<String> timed = send(a, "POST", "/failover?to=secondary&hold=3s", null);
        assertEquals(202, timed.statusCode(), timed.body());
        assertTrue(timed.body().contains("\"hold\":\"PT3S\""), timed.body());
        Await.until(WAIT, "a timed hold is written as its end", () -> {
            try {
                return bind.txt(STATE).toString().matches("\\[epoch=4 region=secondary hold=\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z]");
            } catch (Exception e) {
                return false;
            }
        });
        long held = System.nanoTime();
        Await.until(WAIT, "automatic failback once the hold is over", () -> dnsIs("127.0.0.2", "epoch=5 region=primary"));
        assertTrue(System.nanoTime() - held >= TimeUnit.MILLISECONDS.toNanos(2_000), "not before the hold's end");
        String st = status(a, null) + status(b, null);
        assertTrue(st.contains("\"cause\":\"auto-failback\""), st);
        assertTrue(st.contains("the manual failover's hold ended"), st);
    }

    private static long activeForMillis(String status) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"activeForMillis\":(\\d+)").matcher(status);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    @Test
    void twoSidecarsConvergeWithOneEpochPerSwitch() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        AtomicBoolean watching = new AtomicBoolean(true);
        Thread watcher = new Thread(() -> {
            while (watching.get()) {
                try {
                    List<String> txt = bind.txt(STATE);
                    String v = txt.isEmpty() ? "" : txt.get(0);
                    if (!v.isEmpty() && (seen.isEmpty() || !seen.getLast().equals(v))) {
                        seen.add(v);
                    }
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    // BIND busy: look again
                }
            }
        }, "txt-watcher");
        watcher.start();
        try {
            GtmSidecar a = sidecar("failback = auto");
            GtmSidecar b = sidecar("failback = auto");
            Await.until(WAIT, "first state", () -> dnsIs("127.0.0.2", "epoch=1 region=primary"));
            Await.until(WAIT, "both follow epoch 1", () -> status(a, null).contains("\"epoch\":1") && status(b, null).contains("\"epoch\":1"));

            primary.stop();
            Await.until(WAIT, "failover", () -> dnsIs("127.0.0.3", "epoch=2 region=secondary"));
            Await.until(WAIT, "both follow epoch 2", () -> status(a, null).contains("\"active\":\"secondary\",\"epoch\":2")
                    && status(b, null).contains("\"active\":\"secondary\",\"epoch\":2"));

            primary.start();
            Await.until(WAIT, "failback", () -> dnsIs("127.0.0.2", "epoch=3 region=primary"));
            Await.until(WAIT, "both follow epoch 3", () -> status(a, null).contains("\"active\":\"primary\",\"epoch\":3")
                    && status(b, null).contains("\"active\":\"primary\",\"epoch\":3"));
            String sa = get(a, "/metrics", null).body();
            String sb = get(b, "/metrics", null).body();
            assertEquals(2, switches(sa) + switches(sb), "one write per switch across both sidecars\n" + sa + "\n" + sb);
        } finally {
            watching.set(false);
            watcher.join(30_000);
        }
        assertEquals(List.of("epoch=1 region=primary", "epoch=2 region=secondary", "epoch=3 region=primary"), seen,
                "no flip-flop, one epoch increment per switch");
    }

    @Test
    void bindDownDuringAFailoverIsRetriedAndAppliedWhenItReturns() throws Exception {
        GtmSidecar s = sidecar("failback = manual");
        Await.until(WAIT, "first state", () -> dnsIs("127.0.0.2", "epoch=1 region=primary"));
        Await.until(WAIT, "status follows it", () -> status(s, null).contains("\"active\":\"primary\",\"epoch\":1"));
        Await.until(WAIT, "healthz 200: BIND reached with a valid key", () -> healthz(s).statusCode() == 200);
        assertEquals("ok\n", healthz(s).body());
        bind.stop();
        Await.until(WAIT, "healthz 503 once the periodic key check cannot reach BIND", () -> healthz(s).statusCode() == 503);
        assertTrue(healthz(s).body().startsWith("127.0.0.1:" + bind.port + ": TSIG key check (signed SOA query) to 127.0.0.1:"
                + bind.port + " failed: "), healthz(s).body());
        primary.stop();
        Await.until(WAIT, "the switch is decided and retried while BIND is down", () -> {
            String st = status(s, null);
            return st.contains("\"pending\":\"secondary\"") && st.contains("failed: Connection refused; retrying");
        });
        assertTrue(status(s, null).contains("\"alert\":\"DNS server 127.0.0.1:" + bind.port + " failing: "), status(s, null));
        bind.launch();
        Await.until(WAIT, "applied when BIND is back", () -> dnsIs("127.0.0.3", "epoch=2 region=secondary"));
        Await.until(WAIT, "status follows it", () -> status(s, null).contains("\"active\":\"secondary\",\"epoch\":2,"));
        Await.until(WAIT, "healthz 200 again", () -> healthz(s).statusCode() == 200);
        assertTrue(status(s, null).contains("\"alert\":null"), status(s, null));
    }

    private HttpResponse<String> healthz(GtmSidecar s) {
        try {
            return get(s, "/healthz", null);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aWrongTsigSecretIsFoundAtStartBeforeAnyFailover() throws Exception {
        DnsUpdater good = new DnsUpdater(GtmTestSupport.config(bind, bind.secret, primary.url(), secondary.url(), ""),
                d -> Thread.sleep(d.toMillis()), () -> true);
        assertEquals(DnsUpdater.Kind.APPLIED, good.switchTo(Optional.empty(), "primary").kind(), "a state record already in DNS: no write at start");
        String wrong = java.util.Base64.getEncoder().encodeToString(new byte[32]);
        GtmSidecar s = GtmSidecar.start(GtmTestSupport.config(bind, wrong, primary.url(), secondary.url(), "failback = auto"));
        toClose.add(s);
        String rejected = "TSIG key check (no-op UPDATE) REJECTED by 127.0.0.1:" + bind.port
                + ": TSIG BADSIG — the signature does not verify: wrong secret (check dns.tsig secret-file/secret-env)";
        Await.until(WAIT, "the alert is raised at start", () -> status(s, null).contains(
                "\"alert\":\"DNS server 127.0.0.1:" + bind.port + " failing: " + rejected));
        assertTrue(status(s, null).contains("\"active\":\"primary\",\"epoch\":1,"), "nothing else went wrong: " + status(s, null));
        assertEquals(503, healthz(s).statusCode());
        assertTrue(healthz(s).body().contains("TSIG BADSIG"), healthz(s).body());
        String metrics = get(s, "/metrics", null).body();
        assertTrue(metrics.contains("pharos_gtm_dns_update_failures_total 1\n"), metrics);
        assertTrue(metrics.contains("pharos_gtm_dns_server_ok{server=\"127.0.0.1:" + bind.port + "\"} 0\n"), metrics);
        assertTrue(metrics.contains("pharos_gtm_alert 1\n"), metrics);
        assertFalse(status(s, null).contains(wrong), "the secret is never shown");
        assertEquals(List.of("epoch=1 region=primary"), bind.txt(STATE), "the check changed nothing");
    }

    @Test
    void wrongTsigSecretIsAClearErrorAndChangesNothing() throws Exception {
        String wrong = java.util.Base64.getEncoder().encodeToString(new byte[32]);
        GtmSidecar s = GtmSidecar.start(GtmTestSupport.config(bind, wrong, primary.url(), secondary.url(), ""));
        toClose.add(s);
        Await.until(WAIT, "the rejection shows in status", () -> status(s, null).contains(
                "TSIG BADSIG — the signature does not verify: wrong secret (check dns.tsig secret-file/secret-env); nothing changed; retrying"));
        assertTrue(status(s, null).contains("\"alert\":\"DNS server 127.0.0.1:" + bind.port + " failing: DNS update REJECTED"),
                "failing updates are the alert: " + status(s, null));
        assertEquals(503, healthz(s).statusCode());
        String metrics = get(s, "/metrics", null).body();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("pharos_gtm_dns_update_failures_total ") && !l.endsWith(" 0")), metrics);
        assertFalse(status(s, null).contains(wrong), "the secret is never shown");
        assertEquals(List.of("127.0.0.2"), bind.addresses(APP));
        assertEquals(List.of(), bind.txt(STATE));
    }

    private static long switches(String metrics) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith("pharos_gtm_switches_total ")) {
                return Long.parseLong(line.substring(line.indexOf(' ') + 1).trim());
            }
        }
        throw new AssertionError("no pharos_gtm_switches_total in\n" + metrics);
    }

    @Test
    void clusterDownEventTriggersFastReprobesAndStaleHeartbeatIsUnknown() throws Exception {
        Path events = dir.resolve("pharos-events");
        EventRingWriter proxy = EventRingWriter.open(events, SystemEpochClock.INSTANCE);
        toClose.add(proxy);
        AtomicBoolean beating = new AtomicBoolean(true);
        Thread heart = new Thread(() -> {
            while (beating.get()) {
                proxy.heartbeat();
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "heartbeat");
        heart.start();
        toClose.add(() -> {
            beating.set(false);
            heart.join(30_000);
        });
        // interval 120s: without the proxy's signal two failed rounds would take minutes, far past the wait below
        String extra = "interval = 120s, fast-interval = 100ms, failback = manual\n"
                + "regions = [\n"
                + "  { name = primary, addresses = [\"127.0.0.2\"], probe { type = http, url = \"" + primary.url() + "\" },"
                + "    events-file = \"" + events + "\" }\n"
                + "  { name = secondary, addresses = [\"127.0.0.3\"], probe { type = http, url = \"" + secondary.url() + "\" } }\n"
                + "]";
        GtmSidecar s = sidecar(extra);
        Await.until(WAIT, "first state", () -> dnsIs("127.0.0.2", "epoch=1 region=primary"));
        Await.until(WAIT, "proxy seen", () -> status(s, null).contains("\"view\":\"up\""));

        proxy.onEvent(new HealthEvent(System.currentTimeMillis() - 60_000, HealthEvent.Kind.CLUSTER_DOWN, "primary", "old", "",
                "up", "down", "a backlog event from a minute ago", 0, 2));
        long killed = System.nanoTime();
        primary.stop();
        proxy.onEvent(new HealthEvent(System.currentTimeMillis(), HealthEvent.Kind.CLUSTER_DOWN, "primary", "app", "",
                "up", "down", "no backend usable", 0, 2));
        Await.until(WAIT, "failover driven by the cluster-down event", () -> dnsIs("127.0.0.3", "epoch=2 region=secondary"));
        System.out.printf("failover: cluster-down event -> new answer from BIND in %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
        assertTrue(status(s, null).contains("\"clustersDown\":[\"app\"]"), "the stale event is no signal: " + status(s, null));

        beating.set(false);
        Await.until(WAIT, "stale heartbeat makes the proxy view unknown", () -> status(s, null).contains("\"view\":\"unknown\""));
    }

    /** {@code /status.version} is the build's version (the parent pom's), not a placeholder. */
    @Test
    void statusNamesTheBuildsVersion() throws Exception {
        GtmSidecar s = sidecar("");
        String st = Await.value(WAIT, "a status", () -> status(s, null), body -> !body.isEmpty());
        assertTrue(st.startsWith("{\"version\":\"" + PomVersion.of(Path.of("..")) + "\","), st);
    }
}
