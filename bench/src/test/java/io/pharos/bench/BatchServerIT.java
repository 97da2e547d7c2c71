package io.pharos.bench;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Several runs through one serve loop, a bad line among them. */
class BatchServerIT {
    @Test
    void everyLineEndsWithAResultLine() throws Exception {
        try (TestHttpServer server = new TestHttpServer(n -> TestHttpServer.Reply.ok())) {
            String input = server.url() + " -c 2 -w 1s -d 1s -q\n"
                    + "\n"
                    + "http://127.0.0.1:1/ --no-such-option\n"
                    + server.url() + " -c 1 -w 0.5s -d 1s -n -q\n";
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            BatchServer.serve(new BufferedReader(new StringReader(input)),
                    new PrintStream(printed, true, StandardCharsets.UTF_8));
            List<String> results = printed.toString(StandardCharsets.UTF_8).lines()
                    .filter(l -> l.startsWith("result:")).toList();
            assertEquals(3, results.size(), printed.toString(StandardCharsets.UTF_8));
            assertTrue(results.get(0).contains("mode=http") && !results.get(0).contains(" requests=0 "), results.get(0));
            assertTrue(results.get(1).contains("mode=none") && results.get(1).contains("error=unknown_option"), results.get(1));
            assertTrue(results.get(2).contains("mode=http") && !results.get(2).contains(" requests=0 "), results.get(2));
        }
    }
}
