package io.pharos.gtm;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** The UPDATE message and the state record, without a server. */
class DnsUpdaterTest {
    private static GtmConfig config() throws GtmConfigException {
        return GtmConfigLoader.parse(GtmConfigLoaderTest.minimal("names = [\"app.example.test\", \"api.example.test\"]", ""),
                n -> GtmConfigLoaderTest.SECRET);
    }

    @Test
    void stateRecordParsesAndRejectsJunk() {
        assertEquals(Optional.of(new DnsState(12, "secondary")), DnsState.parse("epoch=12 region=secondary"));
        assertEquals("epoch=13 region=primary", new DnsState(12, "secondary").next("primary", "").txt());
        assertEquals(Optional.empty(), DnsState.parse("epoch=x region=a"));
        assertEquals(Optional.empty(), DnsState.parse("hello"));
    }

    @Test
    void stateRecordCarriesAManualFailoversHold() {
        DnsState held = new DnsState(12, "primary").next("secondary", "failback");
        assertEquals("epoch=13 region=secondary hold=failback", held.txt());
        assertEquals(Optional.of(held), DnsState.parse(held.txt()));
        assertEquals(Optional.of(new DnsState(4, "secondary", "2030-01-01T00:00:00Z")),
                DnsState.parse("epoch=4 region=secondary hold=2030-01-01T00:00:00Z"));
        assertEquals(Optional.empty(), DnsState.parse("epoch=4 region=secondary hold="));
    }

    @Test
    void aHoldCrossesFromTheDecidersClockToTheWallClockAndBack() {
        long now = 5_000;
        long wall = Instant.parse("2030-01-01T00:00:00Z").toEpochMilli();
        Hold h = new Hold(now + 1_800_000);
        assertEquals("2030-01-01T00:30:00Z", h.txt(now, wall));
        assertEquals(Optional.of(new Hold(now + 1_800_000 - 1_000)), Hold.fromTxt("2030-01-01T00:30:00Z", now, wall + 1_000),
                "a sidecar reading it a second later holds a second less");
        assertEquals("failback", Hold.UNTIL_FAILBACK.txt(now, wall));
        assertEquals(Optional.of(Hold.UNTIL_FAILBACK), Hold.fromTxt("failback", now, wall));
        assertEquals(Optional.empty(), Hold.fromTxt("tomorrow", now, wall));
        assertEquals(Duration.ofMinutes(30), Hold.parseDuration("30m"));
        assertEquals(Duration.ofMillis(1500), Hold.parseDuration("1500ms"));
        assertThrows(IllegalArgumentException.class, () -> Hold.parseDuration("30"), "a number without a unit");
    }

    @Test
    void oneUpdateReplacesEveryNameGuardedByTheCurrentState() throws Exception {
        DnsUpdater u = new DnsUpdater(config(), d -> { }, () -> true);
        Update m = u.buildUpdate(Optional.of(new DnsState(4, "primary")), new DnsState(5, "secondary"));
        List<Record> prereq = m.getSection(Section.PREREQ);
        assertEquals(2, prereq.size());
        for (Record p : prereq) {
            assertEquals(Type.TXT, p.getType());
            assertEquals(0, p.getTTL(), "value-dependent prerequisite has TTL 0");
            assertTrue(p.rdataToString().contains("epoch=4 region=primary"), p.toString());
            assertTrue(p.getName().toString().startsWith("_pharos."), p.toString());
        }
        List<String> updates = m.getSection(Section.UPDATE).stream().map(Record::toString).toList();
        assertTrue(updates.stream().anyMatch(s -> s.startsWith("app.example.test.") && s.contains("ANY") && s.contains("A")), updates.toString());
        assertTrue(updates.stream().anyMatch(s -> s.startsWith("app.example.test.") && s.contains("127.0.0.3")), updates.toString());
        assertTrue(updates.stream().anyMatch(s -> s.startsWith("api.example.test.") && s.contains("127.0.0.3")), updates.toString());
        assertTrue(updates.stream().anyMatch(s -> s.startsWith("_pharos.api.example.test.") && s.contains("epoch=5 region=secondary")), updates.toString());
        assertEquals(Type.TXT, prereq.get(0).getType());
    }

    @Test
    void aaaaRecordsAreManagedBesideA() throws Exception {
        String text = GtmConfigLoaderTest.minimal("record-types = [A, AAAA]", "")
                .replace("addresses = [\"127.0.0.2\"]", "addresses = [\"127.0.0.2\", \"fd00::2\"]")
                .replace("addresses = [\"127.0.0.3\"]", "addresses = [\"127.0.0.3\", \"fd00::3\"]");
        DnsUpdater u = new DnsUpdater(GtmConfigLoader.parse(text, n -> GtmConfigLoaderTest.SECRET), d -> { }, () -> true);
        Update m = u.buildUpdate(Optional.of(new DnsState(1, "primary")), new DnsState(2, "secondary"));
        List<Record> adds = m.getSection(Section.UPDATE).stream().filter(r -> r.getDClass() == org.xbill.DNS.DClass.IN).toList();
        java.net.InetAddress v6 = java.net.InetAddress.getByName("fd00::3");
        assertTrue(adds.stream().anyMatch(r -> r instanceof org.xbill.DNS.AAAARecord a && a.getAddress().equals(v6)), adds.toString());
        assertTrue(adds.stream().anyMatch(r -> r.getType() == Type.A && r.rdataToString().equals("127.0.0.3")), adds.toString());
        List<Record> deletes = m.getSection(Section.UPDATE).stream().filter(r -> r.getDClass() == org.xbill.DNS.DClass.ANY).toList();
        assertEquals(List.of(Type.A, Type.AAAA, Type.TXT), deletes.stream().map(Record::getType).toList(), "whole RRsets replaced");
    }

    @Test
    void firstUpdateRequiresThatNoStateExists() throws Exception {
        DnsUpdater u = new DnsUpdater(config(), d -> { }, () -> true);
        Update m = u.buildUpdate(Optional.empty(), new DnsState(1, "primary"));
        for (Record p : m.getSection(Section.PREREQ)) {
            assertEquals(org.xbill.DNS.DClass.NONE, p.getDClass(), "RRset does not exist");
            assertEquals(Type.TXT, p.getType());
        }
    }
}
