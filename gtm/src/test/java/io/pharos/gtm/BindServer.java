package io.pharos.gtm;

import io.pharos.health.testing.Await;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.io.File;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real BIND 9 for the tests: {@code named -g -c <generated conf>} on a free 127.0.0.1 port, with
 * {@code controls { };}, a temp directory for the zone and its journal, a generated TSIG key
 * (hmac-sha256) and an {@code update-policy} granting that key the zone. Stopped by the pid it
 * started. When {@code named} is not installed, {@link #start} fails with how to install it.
 */
public final class BindServer implements AutoCloseable {
    public static final String ZONE = "example.test";
    public static final String KEY_NAME = "pharos-gtm";
    private static final String INSTALL = "named (BIND 9) is required by this test and was not found in PATH,"
            + " /usr/sbin or /usr/local/sbin: apt-get install bind9 bind9-dnsutils";

    public final Path dir;
    public final String secret;
    /** Written by the test thread (only while starting: a port taken meanwhile is replaced). */
    public int port;
    private final String named;
    /** Written by the test thread. */
    private Process process;

    private BindServer(Path dir, int port, String secret, String named) {
        this.dir = dir;
        this.port = port;
        this.secret = secret;
        this.named = named;
    }

    /** Starts BIND serving {@value #ZONE} with {@code app.example.test A initialA}. */
    public static BindServer start(Path dir, String initialA) throws Exception {
        String named = findNamed();
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        BindServer b = new BindServer(dir, freePort(), Base64.getEncoder().encodeToString(key), named);
        for (int attempt = 1; ; attempt++) {
            b.writeConfig(initialA);
            if (b.tryLaunch(30)) {
                return b;
            }
            b.stop();
            if (attempt == 3) {
                throw new AssertionError("named did not answer on 127.0.0.1:" + b.port + ":\n" + b.log());
            }
            b.port = freePort();
        }
    }

    private static String findNamed() {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String d : (path + File.pathSeparator + "/usr/sbin" + File.pathSeparator + "/usr/local/sbin").split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "named"))) {
                return Path.of(d, "named").toString();
            }
        }
        throw new AssertionError(INSTALL);
    }

    private static int freePort() throws IOException {
        for (int i = 0; i < 50; i++) {
            try (ServerSocket tcp = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                int p = tcp.getLocalPort();
                try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress("127.0.0.1", p))) {
                    return p;
                } catch (IOException busy) {
                    // UDP side taken: try another
                }
            }
        }
        throw new IOException("no free port for named on 127.0.0.1");
    }

    private void writeConfig(String initialA) throws IOException {
        Files.writeString(dir.resolve("example.test.zone"), """
                $TTL 30
                @   IN SOA ns.example.test. hostmaster.example.test. ( 1 3600 600 86400 30 )
                    IN NS  ns.example.test.
                ns  IN A   127.0.0.1
                app IN A   %s
                """.formatted(initialA), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("named.conf"), """
                options {
                    directory "%1$s";
                    pid-file "%1$s/named.pid";
                    session-keyfile "%1$s/session.key";
                    managed-keys-directory "%1$s";
                    listen-on port %2$d { 127.0.0.1; };
                    listen-on-v6 { none; };
                    recursion no;
                    dnssec-validation no;
                    notify no;
                    allow-query { any; };
                };
                controls { };
                key "%3$s" { algorithm hmac-sha256; secret "%4$s"; };
                zone "%5$s" {
                    type primary;
                    file "%1$s/example.test.zone";
                    update-policy { grant %3$s zonesub ANY; };
                };
                """.formatted(dir, port, KEY_NAME, secret, ZONE), StandardCharsets.UTF_8);
    }

    /** Starts named again after {@link #stop()} (same port, zone and journal) and waits until it answers. */
    public void launch() throws Exception {
        if (!tryLaunch(60)) {
            stop();
            throw new AssertionError("named did not answer within 60 s:\n" + log());
        }
    }

    /** Starts named and waits up to {@code seconds} for it to answer; false if it did not (it may still run). */
    private boolean tryLaunch(int seconds) throws Exception {
        process = new ProcessBuilder(named, "-g", "-4", "-n", "1", "-c", dir.resolve("named.conf").toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("named.log").toFile()))
                .start();
        boolean settled = Await.within(Duration.ofSeconds(seconds), () -> !process.isAlive() || answersSoa());
        return settled && process.isAlive();
    }

    private boolean answersSoa() {
        try {
            SimpleResolver r = new SimpleResolver(new InetSocketAddress("127.0.0.1", port));
            r.setTCP(true);
            r.setTimeout(Duration.ofMillis(500));
            Message m = r.send(Message.newQuery(Record.newRecord(Name.fromString(ZONE + "."), Type.SOA, DClass.IN)));
            return m.getRcode() == Rcode.NOERROR && !m.getSection(org.xbill.DNS.Section.ANSWER).isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    public String log() {
        try {
            return Files.readString(dir.resolve("named.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    public long pid() {
        return process.pid();
    }

    /** Stops the named this harness started (by its pid) and waits for it. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(20, TimeUnit.SECONDS);
            }
        }
    }

    /** The A addresses served for {@code name} now (sorted), queried with dnsjava over TCP. */
    public List<String> addresses(String name) throws IOException {
        return records(name, Type.A).stream().map(r -> ((org.xbill.DNS.ARecord) r).getAddress().getHostAddress())
                .sorted().toList();
    }

    /** The TXT strings served for {@code name} now. */
    public List<String> txt(String name) throws IOException {
        return records(name, Type.TXT).stream().map(r -> String.join("", ((org.xbill.DNS.TXTRecord) r).getStrings())).toList();
    }

    private List<Record> records(String name, int type) throws IOException {
        SimpleResolver r = new SimpleResolver(new InetSocketAddress("127.0.0.1", port));
        r.setTCP(true);
        r.setTimeout(Duration.ofSeconds(5));
        Message m = r.send(Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)));
        return m.getSection(org.xbill.DNS.Section.ANSWER).stream().filter(x -> x.getType() == type).toList();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
