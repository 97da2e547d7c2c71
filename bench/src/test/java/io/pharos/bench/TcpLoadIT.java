package io.pharos.bench;

import io.pharos.health.testing.Await;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The L4 bulk load against the in-process sink. */
class TcpLoadIT {
    @Test
    void bulkBytesReachTheSink() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
        try (TcpSink sink = TcpSink.start(new InetSocketAddress("127.0.0.1", 0), 1)) {
            String target = "127.0.0.1:" + sink.address().getPort();
            LoadResult r = TcpLoad.run(BenchOptions.parse("tcp", target, "-c", "2", "-d", "1s", "--chunk", "16k", "-q"), out);
            r.print(out);
            assertEquals(0, r.errorCount(), printed.toString(StandardCharsets.UTF_8));
            assertTrue(r.bytes() > 0, printed.toString(StandardCharsets.UTF_8));
            assertEquals(0, r.bytes() % (16 * 1024), "whole chunks are counted");
            Await.within(Duration.ofSeconds(10), () -> sink.received() >= r.bytes());
            assertTrue(sink.received() >= r.bytes(), "sink got " + sink.received() + " of " + r.bytes());
            assertTrue(printed.toString(StandardCharsets.UTF_8).contains("result: mode=tcp"));
        }
    }
}
