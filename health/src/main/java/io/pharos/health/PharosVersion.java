package io.pharos.health;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of this Pharos build, as the build wrote it into {@code io/pharos/health/version.properties}
 * (Maven resource filtering of {@code ${project.version}}); every module's jar also carries it as its
 * manifest's {@code Implementation-Version}. Shown by {@code pharos --version}, the proxy's
 * {@code GET /status} and the sidecar's {@code GET /status}. Immutable; any thread.
 */
public final class PharosVersion {
    private static final String VERSION = read();

    private PharosVersion() {
    }

    /** The build's version, e.g. {@code 0.1.0-SNAPSHOT}. */
    public static String current() {
        return VERSION;
    }

    /** What {@code --version} prints: the version, then the JVM that runs it. */
    public static String describe(String program) {
        return program + " " + VERSION + "\n"
                + "java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ", "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ")";
    }

    /** The filtered resource; else this jar's manifest; else {@code unknown} (a class directory nobody filtered). */
    private static String read() {
        try (InputStream in = PharosVersion.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version", "");
                if (!v.isEmpty() && !v.startsWith("${")) {
                    return v;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String manifest = PharosVersion.class.getPackage().getImplementationVersion();
        return manifest != null ? manifest : "unknown";
    }
}
