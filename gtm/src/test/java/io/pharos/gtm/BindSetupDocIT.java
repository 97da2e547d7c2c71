package io.pharos.gtm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/gtm.md's BIND 9 set-up as an operator copies it: its {@code named.conf} zone statement, its zone
 * file and its {@code nsupdate} test, run against a real BIND with only the server address, port and file
 * paths put in. The test passes, and a wrong secret or a name the policy does not grant fails as its
 * table says.
 */
class BindSetupDocIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private record Result(int exit, String output) {
    }

    @Test
    void theDocumentedZoneAndPolicyPassTheDocumentedNsupdateTest() throws Exception {
        List<String> blocks = bindBlocks();
        assertEquals(3, blocks.size(), "named.conf, zone file, nsupdate test: " + blocks);
        BindServer bind = BindServer.start(dir, "127.0.0.2");
        try {
            bind.stop();
            Path key = dir.resolve("gtm.key");
            writeKey(key, bind.secret);
            String conf = Files.readString(dir.resolve("named.conf"));
            String options = conf.substring(0, conf.indexOf("controls { };") + "controls { };".length());
            Files.writeString(dir.resolve("named.conf"), options + "\n" + blocks.get(0)
                    .replace("/etc/pharos/gtm.key", key.toString())
                    .replace("/var/lib/bind/example.test.zone", dir.resolve("example.test.zone").toString()));
            Files.writeString(dir.resolve("example.test.zone"), blocks.get(1));
            bind.launch();
            assertEquals(List.of("192.0.2.10"), bind.addresses("app.example.test."));

            String test = blocks.get(2).replace("192.0.2.53 53", "127.0.0.1 " + bind.port)
                    .replace("@192.0.2.53", "-p " + bind.port + " @127.0.0.1");
            Result ok = bash(test.replace("/etc/pharos/gtm.key", key.toString()));
            assertEquals(new Result(0, "\"nsupdate-test\"\n"), ok, bind.log());
            assertEquals(List.of(), bind.txt("_pharos.app.example.test."), "the test record is gone again");

            String firstUpdate = test.substring(0, test.indexOf("dig "));
            Path wrong = dir.resolve("wrong.key");
            writeKey(wrong, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
            Result badSecret = bash(firstUpdate.replace("/etc/pharos/gtm.key", wrong.toString()));
            assertEquals(2, badSecret.exit(), badSecret.output());
            assertTrue(badSecret.output().contains("update failed: NOTAUTH(BADSIG)"), badSecret.output());
            Result notGranted = bash(firstUpdate.replace("/etc/pharos/gtm.key", key.toString())
                    .replace("_pharos.app.example.test. 30 TXT \"nsupdate-test\"", "www.example.test. 30 A 192.0.2.1"));
            assertEquals(2, notGranted.exit(), notGranted.output());
            assertTrue(notGranted.output().contains("update failed: REFUSED"), notGranted.output());
        } finally {
            bind.stop();
        }
    }

    /** The fenced blocks of docs/gtm.md's "BIND 9" section, in order. */
    private static List<String> bindBlocks() throws Exception {
        String doc = Files.readString(ROOT.resolve("docs/gtm.md"));
        String section = doc.substring(doc.indexOf("\n### BIND 9\n"), doc.indexOf("\n### Knot DNS\n"));
        List<String> blocks = new ArrayList<>();
        int at = 0;
        while ((at = section.indexOf("\n```\n", at)) >= 0) {
            int end = section.indexOf("\n```\n", at + 5);
            blocks.add(section.substring(at + 5, end + 1));
            at = end + 5;
        }
        return blocks;
    }

    /** A key file as {@code tsig-keygen -a hmac-sha256 pharos-gtm} writes it. */
    private static void writeKey(Path file, String secret) throws Exception {
        Files.writeString(file, "key \"" + BindServer.KEY_NAME + "\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + secret + "\";\n};\n");
    }

    private Result bash(String script) throws Exception {
        Path log = Files.createTempFile(dir, "nsupdate", ".log");
        Process p = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the script finished: " + Files.readString(log));
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
        }
    }
}
