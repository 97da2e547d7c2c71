package io.pharos.proxy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One round of a byte-exact relay test against {@link TcpEchoBackend}: the payload goes out on a thread
 * of its own while the test's thread reads what comes back, so that full buffers on either side cannot
 * stall the test.
 */
public final class EchoRound {
    private EchoRound() {
    }

    /** An output step that may fail, such as a half-close. */
    public interface IoAction {
        void run() throws IOException;
    }

    /** How the test reads everything that comes back. */
    public interface IoRead {
        byte[] read(InputStream in) throws IOException;
    }

    /** {@code size} random bytes, the same for the same {@code seed}. */
    public static byte[] payload(int size, long seed) {
        byte[] payload = new byte[size];
        new Random(seed).nextBytes(payload);
        return payload;
    }

    /**
     * Writes {@code payload} to {@code out}, then runs {@code endOutput}, on a writer thread, while this
     * thread reads {@code in} with {@code read}; waits up to 20 s for the writer. Returns what was read.
     */
    public static byte[] run(OutputStream out, InputStream in, byte[] payload, IoAction endOutput, IoRead read)
            throws IOException, InterruptedException {
        Thread writer = new Thread(() -> {
            try {
                out.write(payload);
                out.flush();
                endOutput.run();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        writer.start();
        byte[] back = read.read(in);
        writer.join(20_000);
        return back;
    }

    /** Asserts that {@code back} is {@code payload}, then the echo's {@code BYE} after the client's FIN, then EOF. */
    public static void assertEchoedThenBye(byte[] payload, byte[] back, String round) throws Exception {
        assertEquals(payload.length + 3, back.length, round + ": everything echoed, then BYE, then EOF");
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        assertArrayEquals(md.digest(payload), md.digest(Arrays.copyOf(back, payload.length)), round);
        assertEquals("BYE", new String(back, payload.length, 3, StandardCharsets.US_ASCII), round);
    }
}
