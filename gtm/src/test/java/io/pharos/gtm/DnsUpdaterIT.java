package io.pharos.gtm;

import io.pharos.health.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** {@link DnsUpdater} against a real BIND: compare-and-set switches, TSIG errors, BIND down and back. */
class DnsUpdaterIT {
    private static final String APP = "app.example.test.";
    private static final String STATE = "_pharos.app.example.test.";

    @TempDir
    Path dir;
    private BindServer bind;

    @BeforeEach
    void startBind() throws Exception {
        bind = BindServer.start(dir, "127.0.0.2");
    }

    @AfterEach
    void stopBind() throws Exception {
        bind.stop();
    }

    private DnsUpdater updater(String secret, AtomicBoolean running) throws Exception {
        GtmConfig c = GtmTestSupport.config(bind, secret, "http://127.0.0.2:1/", "http://127.0.0.3:1/", "");
        return new DnsUpdater(c, d -> Thread.sleep(d.toMillis()), running::get);
    }

    @Test
    void switchesWithCompareAndSetAndConfirms() throws Exception {
        DnsUpdater u = updater(bind.secret, new AtomicBoolean(true));
        assertEquals(Optional.of(Optional.empty()), u.readState(), "no state record yet");

        DnsUpdater.Outcome init = u.switchTo(Optional.empty(), "primary");
        assertEquals(DnsUpdater.Kind.APPLIED, init.kind());
        assertEquals(List.of("epoch=1 region=primary"), bind.txt(STATE));
        assertEquals(List.of("127.0.0.2"), bind.addresses(APP));

        DnsState one = new DnsState(1, "primary");
        DnsUpdater.Outcome sw = u.switchTo(Optional.of(one), "secondary");
        assertEquals(DnsUpdater.Kind.APPLIED, sw.kind());
        assertEquals(List.of("127.0.0.3"), bind.addresses(APP), "the A RRset is replaced, not added to");
        assertEquals(List.of("epoch=2 region=secondary"), bind.txt(STATE));
        assertEquals(List.of(), u.confirm(new DnsState(2, "secondary"), 3));

        DnsUpdater.Outcome stale = u.switchTo(Optional.of(one), "primary");
        assertEquals(DnsUpdater.Kind.CONFLICT, stale.kind(), "a stale epoch loses the compare-and-set");
        assertEquals(Optional.of(new DnsState(2, "secondary")), stale.state(), "and learns what is there");
        assertEquals(List.of("127.0.0.3"), bind.addresses(APP), "nothing changed");

        DnsUpdater.Outcome again = u.switchTo(Optional.empty(), "primary");
        assertEquals(DnsUpdater.Kind.CONFLICT, again.kind(), "initialising over an existing state is refused too");
    }

    @Test
    void wrongSecretIsAClearErrorChangesNothingAndIsRetried() throws Exception {
        byte[] wrong = new byte[32];
        String wrongSecret = Base64.getEncoder().encodeToString(wrong);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger sleeps = new AtomicInteger();
        GtmConfig c = GtmTestSupport.config(bind, wrongSecret, "http://127.0.0.2:1/", "http://127.0.0.3:1/", "");
        DnsUpdater u = new DnsUpdater(c, d -> {
            if (sleeps.incrementAndGet() >= 3) {
                running.set(false);
            }
        }, running::get);
        DnsUpdater.Outcome o = u.switchTo(Optional.empty(), "secondary");
        assertEquals(DnsUpdater.Kind.STOPPED, o.kind());
        assertEquals(3, u.updateFailures(), "retried after each rejection");
        assertTrue(u.lastError().contains("TSIG BADSIG — the signature does not verify: wrong secret"), u.lastError());
        assertTrue(u.lastError().contains("nothing changed; retrying"), u.lastError());
        assertFalse(u.lastError().contains(wrongSecret));
        assertEquals(List.of("127.0.0.2"), bind.addresses(APP));
        assertEquals(List.of(), bind.txt(STATE));
    }

    @Test
    void theKeyIsCheckedAgainstEveryServerWithoutChangingAnything() throws Exception {
        DnsUpdater good = updater(bind.secret, new AtomicBoolean(true));
        assertEquals(List.of(), good.checkServers(true), "the no-op UPDATE passes");
        assertEquals(List.of(), good.checkServers(false), "the signed SOA query passes");
        assertEquals(1, good.serverChecks().size());
        assertTrue(good.serverChecks().get(0).ok());
        assertEquals(0, good.updateFailures());
        assertEquals(List.of("127.0.0.2"), bind.addresses(APP));
        assertEquals(List.of(), bind.txt(STATE), "nothing written");

        DnsUpdater wrong = updater(Base64.getEncoder().encodeToString(new byte[32]), new AtomicBoolean(true));
        for (boolean viaUpdate : List.of(true, false)) {
            List<DnsUpdater.ServerCheck> failed = wrong.checkServers(viaUpdate);
            assertEquals(1, failed.size());
            assertTrue(failed.get(0).problem().contains("REJECTED by 127.0.0.1:" + bind.port + ": TSIG BADSIG — the signature does not verify"),
                    failed.get(0).problem());
            assertFalse(wrong.serverChecks().get(0).ok());
        }
        assertEquals(1, wrong.updateFailures(), "the no-op UPDATE counts as a failed update, the query does not");

        bind.stop();
        List<DnsUpdater.ServerCheck> down = good.checkServers(false);
        assertEquals(1, down.size());
        assertTrue(down.get(0).problem().startsWith("TSIG key check (signed SOA query) to 127.0.0.1:" + bind.port + " failed: "),
                down.get(0).problem());
    }

    @Test
    void bindDownForAWhileIsRetriedAndAppliedWhenBack() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        DnsUpdater u = updater(bind.secret, running);
        bind.stop();
        CompletableFuture<DnsUpdater.Outcome> outcome = CompletableFuture.supplyAsync(() -> u.switchTo(Optional.empty(), "secondary"));
        try {
            Await.value(Duration.ofSeconds(60), "3 failed attempts while BIND is down", u::updateFailures, n -> n >= 3);
            assertFalse(outcome.isDone());
            bind.launch();
            assertEquals(DnsUpdater.Kind.APPLIED, outcome.get(60, TimeUnit.SECONDS).kind());
        } finally {
            running.set(false);
        }
        assertEquals(List.of("127.0.0.3"), bind.addresses(APP));
        assertEquals(List.of("epoch=1 region=secondary"), bind.txt(STATE));
    }
}
