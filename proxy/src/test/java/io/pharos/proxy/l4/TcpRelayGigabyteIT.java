package io.pharos.proxy.l4;

import io.pharos.proxy.testing.ProxyHarness;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Random;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 1 GiB through the TCP listener, checksummed at the far end, once with the zero-copy splice relay (the
 * default on epoll) and once with the buffered relay ({@code splice = false} on the listener). Data is
 * made in byte[] blocks (each stamped with its index) and written in bulk.
 */
class TcpRelayGigabyteIT {
    private static final int BLOCK = 1 << 20;
    private static final int BLOCKS = 1024;

    /** Reads everything a client sends, then answers with its length and CRC32 and closes. */
    private static Thread sinkBackend(ServerSocket server) {
        Thread t = new Thread(() -> {
            try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                byte[] buf = new byte[BLOCK];
                CRC32 crc = new CRC32();
                long total = 0;
                int n;
                while ((n = in.read(buf)) > 0) {
                    crc.update(buf, 0, n);
                    total += n;
                }
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                out.writeLong(total);
                out.writeLong(crc.getValue());
                out.flush();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, "sink-backend");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void relayOneGigabyte(boolean splice) throws Exception {
        try (ProxyHarness h = new ProxyHarness(); ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread backend = sinkBackend(server);
            h.start("pharos { workers = 1\n listeners = [ { name = db, listen = \"127.0.0.1:0\", protocol = tcp, cluster = db"
                    + (splice ? "" : ", splice = false") + " } ]\n"
                    + " clusters { db { backends = [ { name = sink, address = \"127.0.0.1:" + server.getLocalPort() + "\" } ] } } }");
            long splicedBefore = SpliceStats.splicedConnections();
            byte[] block = new byte[BLOCK];
            new Random(1).nextBytes(block);
            CRC32 crc = new CRC32();
            try (Socket s = new Socket("127.0.0.1", h.port("db"))) {
                s.setSoTimeout(120_000);
                OutputStream out = s.getOutputStream();
                for (int i = 0; i < BLOCKS; i++) {
                    block[0] = (byte) i;
                    block[1] = (byte) (i >>> 8);
                    crc.update(block);
                    out.write(block);
                }
                out.flush();
                s.shutdownOutput();
                DataInputStream in = new DataInputStream(s.getInputStream());
                assertEquals((long) BLOCK * BLOCKS, in.readLong(), "bytes received by the backend");
                assertEquals(crc.getValue(), in.readLong(), "CRC32 at the backend");
            }
            backend.join(30_000);
            long spliced = SpliceStats.splicedConnections() - splicedBefore;
            if (splice) {
                assertTrue(h.server().transport().isEpoll(), "splice needs epoll");
                assertEquals(1, spliced, "the connection was spliced");
            } else {
                assertEquals(0, spliced, "the connection used the buffered relay");
            }
        }
    }

    @Test
    void oneGigabyteWithSplice() throws Exception {
        relayOneGigabyte(true);
    }

    @Test
    void oneGigabyteBuffered() throws Exception {
        relayOneGigabyte(false);
    }
}
