package io.pharos.gtm;

import io.pharos.health.config.HostPort;
import io.pharos.gtm.GtmConfig.RecordType;
import io.pharos.gtm.GtmConfig.Region;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TSIGRecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * Talks RFC 2136 to the authoritative servers: reads the state TXT and the published answer, and
 * switches a region with one TSIG-signed UPDATE that replaces the address RRsets and the state TXT of
 * every managed name, guarded by a prerequisite on the current state TXT (compare-and-set).
 * {@code NXRRSET}/{@code YXRRSET} mean another sidecar switched first: the caller re-reads and adopts.
 * Timeouts, SERVFAIL, REFUSED and TSIG rejections are logged and retried with a doubling backoff until
 * applied, refused by the prerequisite, or {@code running} turns false.
 *
 * <p>It also checks the key against every server ({@link #checkServers}): at start with a signed
 * prerequisite-only UPDATE (changes nothing; proves the server is reachable, knows the key and secret and
 * takes updates for the zone), then periodically with a signed SOA query. The last signed exchange with
 * each server, check or update, is its {@link ServerCheck}: what {@code /healthz} and the alert read.
 *
 * <p>Every method blocks on the network: it runs on the sidecar's DNS thread only.
 */
final class DnsUpdater {
    private static final System.Logger LOG = System.getLogger(DnsUpdater.class.getName());

    /** Sleeps between retries; a test may replace it. */
    interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    enum Kind { APPLIED, CONFLICT, STOPPED }

    /** The end of a switch: applied (state is the new one), conflict (state is what DNS now holds), or stopped. */
    record Outcome(Kind kind, Optional<DnsState> state, String detail) {
    }

    /** A per-server view of the published answer, for confirmation and {@code /status}. */
    record Answer(HostPort server, List<String> addresses, Optional<DnsState> state, String error) {
    }

    /** The last signed exchange with {@code server}: fine when {@code problem} is empty. */
    record ServerCheck(HostPort server, String problem, long atWallMillis) {
        boolean ok() {
            return problem.isEmpty();
        }
    }

    private final GtmConfig config;
    private final Name zone;
    private final List<Name> names;
    private final TSIG tsig;
    private final Sleeper sleeper;
    private final BooleanSupplier running;
    /** Written by the DNS thread: index of the server that answered last (updates go there first). */
    private int preferred;
    /** Written by the DNS thread: the last error, for /status ("" when the last exchange was fine). */
    private volatile String lastError = "";
    /** Written by the DNS thread. */
    private volatile long updatesSent;
    /** Written by the DNS thread. */
    private volatile long updateFailures;
    /** Written by the DNS thread, read by any: the last signed exchange per server (absent: none yet). */
    private final Map<HostPort, ServerCheck> checks = new ConcurrentHashMap<>();

    DnsUpdater(GtmConfig config, Sleeper sleeper, BooleanSupplier running) {
        this.config = config;
        try {
            this.zone = Name.fromString(config.dns().zone());
            List<Name> ns = new ArrayList<>();
            for (String n : config.names()) {
                ns.add(Name.fromString(n));
            }
            this.names = List.copyOf(ns);
            this.tsig = new TSIG(Name.fromString(config.dns().tsig().algorithm().dnsName),
                    Name.fromString(config.dns().tsig().name()), config.dns().tsig().secretBase64());
        } catch (TextParseException e) {
            throw new IllegalArgumentException("bad DNS name in the config: " + e.getMessage(), e);
        }
        this.sleeper = sleeper;
        this.running = running;
    }

    static Name stateName(Name name) {
        try {
            return Name.concatenate(Name.fromString(DnsState.PREFIX.substring(0, DnsState.PREFIX.length() - 1)), name);
        } catch (Exception e) {
            throw new IllegalArgumentException("name too long for the state record: " + name, e);
        }
    }

    // ---- reading -----------------------------------------------------------------------------

    /**
     * Reads the state TXT of the first managed name, trying the servers in turn and retrying with
     * backoff until one answers. Empty when no state record exists yet (or it is unreadable).
     */
    Optional<Optional<DnsState>> readState() {
        return readState(true);
    }

    /**
     * As {@link #readState()}; with {@code retry} false, one pass over the servers only (empty when
     * none answered).
     */
    Optional<Optional<DnsState>> readState(boolean retry) {
        Backoff backoff = new Backoff();
        while (running.getAsBoolean()) {
            for (int i = 0; i < config.dns().servers().size(); i++) {
                HostPort server = config.dns().servers().get((preferred + i) % config.dns().servers().size());
                try {
                    Optional<DnsState> s = readState(server);
                    lastError = "";
                    return Optional.of(s);
                } catch (IOException e) {
                    lastError = "reading state from " + server + ": " + e.getMessage();
                    LOG.log(Level.WARNING, lastError);
                }
            }
            if (!retry || !backoff.sleep()) {
                break;
            }
        }
        return Optional.empty();
    }

    private Optional<DnsState> readState(HostPort server) throws IOException {
        Message r = query(server, stateName(names.get(0)), Type.TXT);
        if (r.getRcode() != Rcode.NOERROR && r.getRcode() != Rcode.NXDOMAIN) {
            throw new IOException("query answered " + Rcode.string(r.getRcode()));
        }
        for (Record rec : r.getSection(Section.ANSWER)) {
            if (rec instanceof TXTRecord txt) {
                return DnsState.parse(String.join("", txt.getStrings()));
            }
        }
        return Optional.empty();
    }

    /** What {@code server} publishes for the first managed name now (one try, no retry). */
    Answer answer(HostPort server) {
        try {
            List<String> addresses = new ArrayList<>();
            for (RecordType t : config.recordTypes()) {
                Message r = query(server, names.get(0), t == RecordType.A ? Type.A : Type.AAAA);
                for (Record rec : r.getSection(Section.ANSWER)) {
                    if (rec instanceof ARecord a) {
                        addresses.add(a.getAddress().getHostAddress());
                    } else if (rec instanceof AAAARecord a) {
                        addresses.add(a.getAddress().getHostAddress());
                    }
                }
            }
            addresses.sort(null);
            return new Answer(server, addresses, readState(server), "");
        } catch (IOException e) {
            return new Answer(server, List.of(), Optional.empty(), e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private Message query(HostPort server, Name name, int type) throws IOException {
        Message q = Message.newQuery(Record.newRecord(name, type, DClass.IN));
        q.getHeader().unsetFlag(Flags.RD);
        return resolver(server, false).send(q);
    }

    private SimpleResolver resolver(HostPort server, boolean signed) {
        SimpleResolver r = new SimpleResolver(new InetSocketAddress(server.host(), server.port()));
        r.setTCP(true);
        r.setTimeout(config.dns().timeout());
        if (signed) {
            r.setTSIGKey(tsig);
        }
        return r;
    }

    // ---- switching ---------------------------------------------------------------------------

    // ---- checking the key ------------------------------------------------------------------------

    /**
     * Checks the key against every server, one signed exchange each: with {@code viaUpdate} a
     * prerequisite-only UPDATE ("the zone's SOA exists", so nothing can change), else a signed SOA query.
     * Records each result ({@link #serverChecks}), logs a new failure at ERROR and a recovery at INFO (a
     * failure that stays the same is not logged again); returns the failures.
     */
    List<ServerCheck> checkServers(boolean viaUpdate) {
        List<ServerCheck> failed = new ArrayList<>();
        for (HostPort server : config.dns().servers()) {
            ServerCheck before = checks.get(server);
            String problem = check(server, viaUpdate);
            if (!problem.isEmpty()) {
                failed.add(checks.get(server));
                if (before == null || !problem.equals(before.problem())) {
                    LOG.log(Level.ERROR, "ALERT: " + problem);
                }
            } else if (before == null || !before.ok()) {
                LOG.log(Level.INFO, "TSIG key {0} accepted by {1} (zone {2})", config.dns().tsig().name(), server, zone);
            }
        }
        return failed;
    }

    private String check(HostPort server, boolean viaUpdate) {
        Message m;
        if (viaUpdate) {
            m = new Update(zone);
            ((Update) m).present(zone, Type.SOA);
        } else {
            m = Message.newQuery(Record.newRecord(zone, Type.SOA, DClass.IN));
            m.getHeader().unsetFlag(Flags.RD);
        }
        String what = viaUpdate ? "TSIG key check (no-op UPDATE)" : "TSIG key check (signed SOA query)";
        String problem;
        try {
            if (viaUpdate) {
                updatesSent++;
            }
            Message response = resolver(server, true).send(m);
            TSIGRecord t = response.getTSIG();
            int tsigError = t == null ? 0 : t.getError();
            if (response.getRcode() == Rcode.NOERROR && tsigError == 0) {
                problem = response.isVerified() ? "" : what + " to " + server + ": the answer's TSIG signature does not verify";
            } else {
                problem = describe(what, server, response.getRcode(), tsigError, "");
            }
        } catch (IOException e) {
            problem = what + " to " + server + " failed: " + message(e);
        }
        if (!problem.isEmpty() && viaUpdate) {
            updateFailures++;
        }
        record(server, problem);
        return problem;
    }

    private void record(HostPort server, String problem) {
        checks.put(server, new ServerCheck(server, problem, System.currentTimeMillis()));
    }

    /** The last signed exchange with each server that had one, in the order of {@code dns.servers}. Any thread. */
    List<ServerCheck> serverChecks() {
        return config.dns().servers().stream().map(checks::get).filter(Objects::nonNull).toList();
    }

    private static String message(IOException e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /** Builds the one UPDATE that moves every name to {@code next.region()}, guarded by {@code expected}. */
    Update buildUpdate(Optional<DnsState> expected, DnsState next) {
        Region region = config.region(next.region())
                .orElseThrow(() -> new IllegalArgumentException("region: " + next.region() + " (not in the config)"));
        long ttl = config.ttl().toSeconds();
        Update update = new Update(zone);
        for (Name name : names) {
            Name stateName = stateName(name);
            if (expected.isPresent()) {
                update.present(new TXTRecord(stateName, DClass.IN, 0, expected.get().txt()));
            } else {
                update.absent(stateName, Type.TXT);
            }
        }
        for (Name name : names) {
            for (RecordType t : config.recordTypes()) {
                update.delete(name, t == RecordType.A ? Type.A : Type.AAAA);
            }
            for (InetAddress a : region.addresses()) {
                update.add(a instanceof Inet6Address ? new AAAARecord(name, DClass.IN, ttl, a) : new ARecord(name, DClass.IN, ttl, a));
            }
            Name stateName = stateName(name);
            update.delete(stateName, Type.TXT);
            update.add(new TXTRecord(stateName, DClass.IN, ttl, next.txt()));
        }
        return update;
    }

    /** As {@link #switchTo(Optional, String, String)} without a hold. */
    Outcome switchTo(Optional<DnsState> expected, String toRegion) {
        return switchTo(expected, toRegion, "");
    }

    /**
     * Moves every name to {@code toRegion} if DNS still holds {@code expected} (empty: no state record
     * yet), writing {@code hold} ("" for none, see {@link Hold}) into the new state. Retries until applied,
     * a prerequisite failure (then re-reads what is there), or stopped.
     */
    Outcome switchTo(Optional<DnsState> expected, String toRegion, String hold) {
        DnsState next = expected.map(s -> s.next(toRegion, hold)).orElse(new DnsState(1, toRegion, hold));
        Update update = buildUpdate(expected, next);
        Backoff backoff = new Backoff();
        int servers = config.dns().servers().size();
        int attempt = 0;
        while (running.getAsBoolean()) {
            HostPort server = config.dns().servers().get((preferred + attempt) % servers);
            attempt++;
            String problem;
            try {
                updatesSent++;
                Message response = resolver(server, true).send(update);
                int rcode = response.getRcode();
                TSIGRecord t = response.getTSIG();
                int tsigError = t == null ? 0 : t.getError();
                if (rcode == Rcode.NOERROR && tsigError == 0) {
                    preferred = (preferred + attempt - 1) % servers;
                    lastError = "";
                    record(server, "");
                    LOG.log(Level.INFO, "DNS update applied on {0}: {1} -> {2}", server,
                            expected.map(DnsState::txt).orElse("(no state)"), next.txt());
                    return new Outcome(Kind.APPLIED, Optional.of(next), "applied on " + server);
                }
                if (rcode == Rcode.NXRRSET || rcode == Rcode.YXRRSET) {
                    lastError = "";
                    record(server, "");
                    Optional<DnsState> now = readState().orElse(Optional.empty());
                    LOG.log(Level.INFO, "DNS update not applied on {0}: the state changed ({1}); now {2}, adopting",
                            server, Rcode.string(rcode), now.map(DnsState::txt).orElse("(no state)"));
                    return new Outcome(Kind.CONFLICT, now, Rcode.string(rcode) + ": another sidecar switched first");
                }
                problem = describe("DNS update", server, rcode, tsigError, "; nothing changed; retrying");
            } catch (IOException e) {
                problem = "DNS update to " + server + " failed: " + message(e) + "; retrying";
            }
            updateFailures++;
            lastError = problem;
            record(server, problem);
            LOG.log(Level.WARNING, problem);
            if (attempt % servers == 0 && !backoff.sleep()) {
                break;
            }
        }
        return new Outcome(Kind.STOPPED, Optional.empty(), "stopped before the update was applied");
    }

    /** A rejection in words: {@code what} ("DNS update") REJECTED by the server, why, what to check, then {@code tail}. */
    private static String describe(String what, HostPort server, int rcode, int tsigError, String tail) {
        if (tsigError == Rcode.BADSIG || tsigError == Rcode.BADKEY || tsigError == Rcode.BADTIME) {
            String why = switch (tsigError) {
                case Rcode.BADKEY -> "the server does not know the key name/algorithm (check dns.tsig.name and algorithm)";
                case Rcode.BADTIME -> "the clocks differ by more than the fudge (check NTP on this host and the server)";
                default -> "the signature does not verify: wrong secret (check dns.tsig secret-file/secret-env)";
            };
            return what + " REJECTED by " + server + ": TSIG " + Rcode.TSIGstring(tsigError) + " — " + why + tail;
        }
        if (rcode == Rcode.NOTAUTH) {
            return what + " REJECTED by " + server + ": NOTAUTH — the key is not accepted for this zone"
                    + " or the server is not authoritative for it (check update-policy and dns.zone)" + tail;
        }
        if (rcode == Rcode.NOTZONE) {
            return what + " REJECTED by " + server + ": NOTZONE — a managed name is outside dns.zone" + tail;
        }
        return what + " to " + server + " answered " + Rcode.string(rcode) + tail;
    }

    /**
     * Queries every server until each serves {@code state} and the addresses of its region, with
     * backoff, at most {@code attempts} rounds. Returns the servers that still do not.
     */
    List<HostPort> confirm(DnsState state, int attempts) {
        List<String> expected = config.region(state.region()).orElseThrow().addresses().stream()
                .map(InetAddress::getHostAddress).sorted().toList();
        Set<HostPort> pending = new HashSet<>(config.dns().servers());
        Backoff backoff = new Backoff();
        for (int i = 0; i < attempts && !pending.isEmpty() && running.getAsBoolean(); i++) {
            pending.removeIf(s -> {
                Answer a = answer(s);
                return a.error().isEmpty() && a.addresses().equals(expected) && a.state().equals(Optional.of(state));
            });
            if (!pending.isEmpty() && i + 1 < attempts && !backoff.sleep()) {
                break;
            }
        }
        if (!pending.isEmpty()) {
            LOG.log(Level.WARNING, "DNS servers {0} do not serve {1} yet", pending, state.txt());
        }
        return config.dns().servers().stream().filter(pending::contains).toList();
    }

    String lastError() {
        return lastError;
    }

    long updatesSent() {
        return updatesSent;
    }

    long updateFailures() {
        return updateFailures;
    }

    /** Doubling delay from retry-initial to retry-max; false when stopped or interrupted. */
    private final class Backoff {
        /** Written by the DNS thread. */
        private Duration next = config.dns().retryInitial();

        boolean sleep() {
            if (!running.getAsBoolean()) {
                return false;
            }
            try {
                sleeper.sleep(next);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            Duration doubled = next.multipliedBy(2);
            next = doubled.compareTo(config.dns().retryMax()) > 0 ? config.dns().retryMax() : doubled;
            return running.getAsBoolean();
        }
    }
}
