package io.pharos.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcWatchTest {
    @Test
    void parsesUtimePlusStimeEvenWithParenthesesInTheName() {
        String stat = "4242 (weird) name) S 1 4242 4242 0 -1 4194560 1063 0 0 0 731 269 0 0 20 0 3 0 123 456 789";
        assertEquals(731 + 269, ProcWatch.parseCpuTicks(stat));
        assertThrows(IllegalArgumentException.class, () -> ProcWatch.parseCpuTicks("garbage"));
    }

    @Test
    void readsThisProcess() {
        int self = (int) ProcessHandle.current().pid();
        ProcWatch w = new ProcWatch(List.of(self), 100);
        long rss = w.rssKb();
        assertTrue(rss > 1000, "rss " + rss + " KiB");
        assertTrue(w.peakRssKb() >= rss, "peak " + w.peakRssKb() + " < rss " + rss);
        assertTrue(w.cpuTicks() > 0, "a JVM that loaded JUnit has used CPU");
        assertEquals(1.5, w.ticksToSeconds(150), 1e-9);
    }

    @Test
    void aVanishedProcessReadsAsZero() {
        ProcWatch w = new ProcWatch(List.of(Integer.MAX_VALUE), 100);
        assertEquals(0, w.cpuTicks());
        assertEquals(0, w.rssKb());
    }
}
