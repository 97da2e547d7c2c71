package io.pharos.proxy.l7;

import io.pharos.proxy.testing.ProxyHarness;
import io.pharos.proxy.testing.ProxyProcess;
import io.pharos.proxy.testing.RawHttp;
import io.pharos.proxy.testing.TestBackend;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 100 MiB bodies both ways through a proxy JVM limited to a 64 MiB heap: streaming must not aggregate.
 * The proxy runs as its own process so that its heap, not the test's, is the one bounded.
 */
class StreamingIT {
    private static final long SIZE = 100L * 1024 * 1024;

    @Test
    void hundredMebibytesBothWaysWithABoundedHeap() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            int port = ProxyProcess.freePort();
            Path conf = Files.createTempFile("pharos-stream", ".conf");
            Files.writeString(conf, "pharos { workers = 1\n listeners = [ { name = web, listen = \"127.0.0.1:" + port
                    + "\", protocol = http, cluster = app } ]\n clusters { app { backends = [ " + h.backendsHocon() + " ] } } }\n");
            try (ProxyProcess proxy = ProxyProcess.start(List.of("-Xmx64m", "-XX:+ExitOnOutOfMemoryError",
                    "-Dio.netty.leakDetectionLevel=paranoid"), "proxy", "-c", conf.toString())) {
                proxy.awaitPort(port, Duration.ofSeconds(30));

                // upload: 100 MiB chunked, the backend reports length and CRC of what it received
                CRC32 sent = new CRC32();
                try (RawHttp raw = new RawHttp(port)) {
                    raw.send("POST /sink HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
                    byte[] piece = new byte[256 * 1024];
                    byte[] size = (Integer.toHexString(piece.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                    byte[] crlf = "\r\n".getBytes(StandardCharsets.US_ASCII);
                    for (long off = 0; off < SIZE; off += piece.length) {
                        for (int i = 0; i < piece.length; i++) {
                            piece[i] = TestBackend.pattern(off + i);
                        }
                        sent.update(piece);
                        raw.send(size).send(piece).send(crlf);
                    }
                    raw.send("0\r\n\r\n");
                    RawHttp.Response resp = raw.read();
                    assertEquals(200, resp.status());
                    assertEquals("bytes=" + SIZE + " crc=" + sent.getValue(), resp.bodyText());
                }

                // download: 100 MiB with Content-Length, checked byte by byte
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setSoTimeout(60_000);
                    s.getOutputStream().write(("GET /bytes?n=" + SIZE + " HTTP/1.1\r\nHost: t\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    InputStream in = s.getInputStream();
                    String head = readHead(in);
                    assertTrue(head.startsWith("HTTP/1.1 200"), head);
                    assertTrue(head.toLowerCase().contains("content-length: " + SIZE), head);
                    byte[] buf = new byte[256 * 1024];
                    long got = 0;
                    while (got < SIZE) {
                        int n = in.read(buf, 0, (int) Math.min(buf.length, SIZE - got));
                        if (n < 0) {
                            break;
                        }
                        for (int i = 0; i < n; i++) {
                            if (buf[i] != TestBackend.pattern(got + i)) {
                                throw new AssertionError("byte " + (got + i) + " differs");
                            }
                        }
                        got += n;
                    }
                    assertEquals(SIZE, got);
                }
                assertTrue(proxy.isAlive(), "proxy survived with -Xmx64m:\n" + proxy.output());
                // and it still serves
                try (RawHttp raw = new RawHttp(port)) {
                    raw.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                    assertEquals(200, raw.read().status());
                }
                String out = proxy.output();
                assertTrue(!out.contains("LEAK:"), "no leak reported:\n" + out);
            } finally {
                Files.deleteIfExists(conf);
            }
        }
    }

    private static String readHead(InputStream in) throws Exception {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            sb.append((char) c);
            if (sb.length() >= 4 && sb.substring(sb.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        return sb.toString();
    }
}
