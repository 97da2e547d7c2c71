package io.pharos.health.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The project's version as the parent pom states it, read from the file: what version tests compare against. */
public final class PomVersion {
    private PomVersion() {
    }

    /** The {@code <version>} of {@code pharos-parent} in {@code root/pom.xml}. */
    public static String of(Path root) throws IOException {
        String pom = Files.readString(root.resolve("pom.xml"));
        Matcher m = Pattern.compile("<artifactId>pharos-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        if (!m.find()) {
            throw new IllegalStateException("no pharos-parent version in " + root.resolve("pom.xml"));
        }
        return m.group(1);
    }
}
