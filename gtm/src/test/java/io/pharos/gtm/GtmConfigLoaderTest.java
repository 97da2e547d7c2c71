package io.pharos.gtm;

import io.pharos.gtm.GtmConfig.Failback;
import io.pharos.gtm.GtmConfig.ProbeType;
import io.pharos.gtm.GtmConfig.TsigAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class GtmConfigLoaderTest {
    static final String SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==";
    private static final Map<String, String> ENV = Map.of("PHAROS_TSIG_SECRET", SECRET);

    @TempDir
    Path dir;

    static String minimal(String extra, String dnsExtra) {
        return """
                gtm {
                  names = ["app.example.test"]
                  regions = [
                    { name = primary, addresses = ["127.0.0.2"], probe { type = http, url = "http://127.0.0.2:8080/healthz" } }
                    { name = secondary, addresses = ["127.0.0.3"], probe { type = tcp, address = "127.0.0.3:8080" } }
                  ]
                  %s
                  dns {
                    servers = ["127.0.0.1:5353"]
                    zone = "example.test"
                    tsig { name = "pharos-gtm", secret-env = "PHAROS_TSIG_SECRET" }
                    %s
                  }
                }
                """.formatted(extra, dnsExtra);
    }

    private static List<String> problems(String text) {
        GtmConfigException e = assertThrows(GtmConfigException.class, () -> GtmConfigLoader.parse(text, ENV::get));
        return e.problems();
    }

    @Test
    void exampleConfigLoadsWithItsDocumentedValues() throws Exception {
        GtmConfig c = GtmConfigLoader.load(Path.of("../conf/gtm.conf"), ENV::get);
        assertEquals(List.of("app.example.test."), c.names());
        assertEquals("example.test.", c.dns().zone());
        assertEquals(2, c.regions().size());
        assertEquals(ProbeType.HTTP, c.regions().get(0).probe().type());
        assertEquals(Path.of("/dev/shm/pharos-events"), c.regions().get(0).eventsFile().orElseThrow());
        assertEquals(ProbeType.TCP, c.regions().get(1).probe().type());
        assertEquals(3, c.failureThreshold());
        assertEquals(5, c.recoveryThreshold());
        assertEquals(Failback.MANUAL, c.failback());
        assertEquals(TsigAlgorithm.HMAC_SHA256, c.dns().tsig().algorithm());
        assertEquals(SECRET, c.dns().tsig().secretBase64());
    }

    @Test
    void defaultsFollowTheIssue() throws Exception {
        GtmConfig c = GtmConfigLoader.parse(minimal("", ""), ENV::get);
        assertEquals(Duration.ofSeconds(30), c.ttl());
        assertEquals(Duration.ofSeconds(60), c.minHold(), "2 x ttl");
        assertEquals(3, c.failureThreshold());
        assertEquals(5, c.recoveryThreshold());
        assertEquals(Failback.MANUAL, c.failback());
        assertEquals(List.of(GtmConfig.RecordType.A), c.recordTypes());
        assertEquals(List.of(200), c.regions().get(0).probe().expectStatus());
        assertEquals("127.0.0.1:9902", c.admin().listen().toString());
        assertEquals(TsigAlgorithm.HMAC_SHA256, c.dns().tsig().algorithm());
    }

    @Test
    void unknownKeysAreErrorsWithTheirPathAndTheNearestKnownKey() {
        List<String> p = problems(minimal("intervall = 2s, colour = blue", "tsig2 = 1"));
        assertTrue(p.contains("gtm.intervall: unknown key (did you mean 'interval'?)"), p.toString());
        assertTrue(p.contains("gtm.colour: unknown key"), p.toString());
        assertTrue(p.contains("gtm.dns.tsig2: unknown key (did you mean 'tsig'?)"), p.toString());
    }

    @Test
    void durationsWithoutAUnitAreRefused() {
        List<String> p = problems(minimal("interval = 1, ttl = 30", "timeout = 2"));
        assertTrue(p.contains("gtm.interval: expected a duration with a unit (e.g. 2s, 500ms), got 1"), p.toString());
        assertTrue(p.contains("gtm.ttl: expected a duration with a unit (e.g. 2s, 500ms), got 30"), p.toString());
        assertTrue(p.contains("gtm.dns.timeout: expected a duration with a unit (e.g. 2s, 500ms), got 2"), p.toString());
    }

    @Test
    void unknownKeyInsideARegionNamesTheListIndex() {
        String text = minimal("", "").replace("addresses = [\"127.0.0.3\"],", "addresses = [\"127.0.0.3\"], weight = 3,");
        assertTrue(problems(text).contains("gtm.regions[1].weight: unknown key"));
    }

    @Test
    void md5IsRefused() {
        List<String> p = problems(minimal("", "").replace("name = \"pharos-gtm\",", "name = \"pharos-gtm\", algorithm = hmac-md5,"));
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.get(0).startsWith("gtm.dns.tsig.algorithm: hmac-md5 is refused"), p.toString());
    }

    @Test
    void httpsProbeTakesACaFileWhichIsCheckedWithItsPath() throws Exception {
        String plain = "url = \"http://127.0.0.2:8080/healthz\"";
        Path ca = dir.resolve("ca.pem");
        Files.writeString(ca, "not a certificate\n");
        String https = minimal("", "").replace(plain, "url = \"https://127.0.0.2:8443/healthz\", ca-file = \"" + ca + "\"");
        List<String> p = problems(https);
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.get(0).startsWith("gtm.regions[0].probe.ca-file: " + ca + " is not a PEM certificate file"), p.toString());

        Path missing = dir.resolve("missing.pem");
        assertEquals(List.of("gtm.regions[0].probe.ca-file: cannot read " + missing + ": NoSuchFileException"),
                problems(minimal("", "").replace(plain, "url = \"https://127.0.0.2:8443/healthz\", ca-file = \"" + missing + "\"")));
        assertEquals(List.of("gtm.regions[0].probe.ca-file: only with an https:// url (nothing to verify otherwise)"),
                problems(minimal("", "").replace(plain, plain + ", ca-file = \"" + ca + "\"")));
        assertEquals(List.of("gtm.regions[0].probe.url: 'ftp://127.0.0.2/healthz' is not an http(s)://host[:port]/path URL"),
                problems(minimal("", "").replace(plain, "url = \"ftp://127.0.0.2/healthz\"")));

        GtmConfig c = GtmConfigLoader.parse(minimal("", "").replace(plain, "url = \"https://127.0.0.2:8443/healthz\""), ENV::get);
        assertEquals("https", c.regions().get(0).probe().url().orElseThrow().getScheme());
        assertTrue(c.regions().get(0).probe().caFile().isEmpty(), "the JVM's trust store by default");
    }

    @Test
    void recoveryThresholdBelowFailureThresholdIsAProblem() {
        List<String> p = problems(minimal("failure-threshold = 4, recovery-threshold = 3", ""));
        assertEquals(List.of("gtm.recovery-threshold: 3 is below failure-threshold 4 (expected >= it)"), p);
    }

    @Test
    void fastIntervalDefaultsToAtMostTheIntervalAndIsChecked() throws Exception {
        assertEquals(Duration.ofMillis(200), GtmConfigLoader.parse(minimal("interval = 200ms", ""), ENV::get).fastInterval());
        assertEquals(Duration.ofMillis(500), GtmConfigLoader.parse(minimal("", ""), ENV::get).fastInterval());
        assertEquals(List.of("gtm.fast-interval: 3s is longer than interval 2s"), problems(minimal("fast-interval = 3s", "")));
    }

    @Test
    void everyProblemIsCollected() {
        String text = minimal("failback = sometimes, ttl = -1s", "").replace("\"127.0.0.2\"", "\"primary.example\"")
                .replace("servers = [\"127.0.0.1:5353\"]", "servers = [\"127.0.0.1\"]");
        List<String> p = problems(text);
        assertTrue(p.contains("gtm.failback: unknown value 'sometimes' (expected one of auto, manual)"), p.toString());
        assertTrue(p.contains("gtm.ttl: must be > 0, got -1s"), p.toString());
        assertTrue(p.contains("gtm.regions[0].addresses[0]: 'primary.example' is not an IPv4 or IPv6 address literal"), p.toString());
        assertTrue(p.contains("gtm.dns.servers[0]: bad address '127.0.0.1' (expected host:port)"), p.toString());
    }

    @Test
    void secretFromFileAcceptsABindKeyFileAndIsNeverShown() throws Exception {
        Path key = dir.resolve("gtm.key");
        Files.writeString(key, "key \"pharos-gtm\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + SECRET + "\";\n};\n");
        String text = minimal("", "").replace("secret-env = \"PHAROS_TSIG_SECRET\"", "secret-file = \"" + key + "\"");
        GtmConfig c = GtmConfigLoader.parse(text, n -> null);
        assertEquals(SECRET, c.dns().tsig().secretBase64());
        assertFalse(c.toString().contains(SECRET), c.toString());
        assertTrue(c.dns().tsig().toString().contains("from file"), c.dns().tsig().toString());
    }

    @Test
    void missingEnvSecretAndBothSourcesAreProblemsWithoutTheSecret() {
        List<String> p = problems(minimal("", "").replace("PHAROS_TSIG_SECRET", "NOPE"));
        assertEquals(List.of("gtm.dns.tsig.secret-env: environment variable NOPE is not set"), p);
        List<String> both = problems(minimal("", "").replace("secret-env", "secret-file = \"/x\", secret-env"));
        assertTrue(both.get(0).startsWith("gtm.dns.tsig.secret-file: give exactly one of"), both.toString());
        List<String> bad = problems(minimal("", "").replace("PHAROS_TSIG_SECRET", "BAD"));
        assertFalse(bad.toString().contains(SECRET));
    }

    @Test
    void nonLoopbackAdminNeedsAToken() throws Exception {
        List<String> p = problems(minimal("admin { listen = \"0.0.0.0:9902\" }", ""));
        assertEquals(List.of("gtm.admin.token: required when admin.listen (0.0.0.0:9902) is not a loopback address"), p);
        GtmConfig c = GtmConfigLoader.parse(minimal("admin { listen = \"0.0.0.0:9902\", token = t0ken-t0ken-t0ken }", ""), ENV::get);
        assertEquals("t0ken-t0ken-t0ken", c.admin().token().orElseThrow());
        assertFalse(c.admin().toString().contains("t0ken"));
        assertEquals(List.of("gtm.admin.token: too short (at least 16 characters)"),
                problems(minimal("admin { token = short }", "")));
    }

    @Test
    void namesOutsideTheZoneAndMissingAddressTypesAreProblems() {
        List<String> p = problems(minimal("record-types = [A, AAAA]", "").replace("app.example.test", "app.other.test"));
        assertTrue(p.contains("gtm.names[0]: 'app.other.test' is not inside zone 'example.test.'"), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith("gtm.regions[0].addresses: no AAAA address")), p.toString());
    }
}
