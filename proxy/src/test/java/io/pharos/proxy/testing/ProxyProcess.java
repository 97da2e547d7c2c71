package io.pharos.proxy.testing;

import io.pharos.health.testing.Await;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The proxy as a separate JVM ({@code io.pharos.proxy.Main proxy -c FILE}) on the test's classpath,
 * for tests that need its own heap limit, signals or exit code. Always stopped by {@link #close()}.
 */
public final class ProxyProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private ProxyProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code Main} with {@code args} and extra JVM options; output goes to a temp log file. */
    public static ProxyProcess start(List<String> jvmOptions, String... args) throws IOException {
        return startMain("io.pharos.proxy.Main", jvmOptions, args);
    }

    /** As {@link #start(List, String...)} with another main class on the test's classpath (the GTM sidecar's). */
    public static ProxyProcess startMain(String mainClass, List<String> jvmOptions, String... args) throws IOException {
        return launch(List.of(), mainClass, jvmOptions, args);
    }

    /**
     * As {@link #start(List, String...)} with a per-file size limit ({@code ulimit -f}, in KiB): a write past
     * it fails with EFBIG as a write to a full disk fails with ENOSPC (the JVM ignores SIGXFSZ). The limit
     * holds for every file the process writes, its log included.
     */
    public static ProxyProcess startWithFileSizeLimit(long kib, List<String> jvmOptions, String... args) throws IOException {
        return launch(List.of("/bin/bash", "-c", "ulimit -f " + kib + " && exec \"$0\" \"$@\""), "io.pharos.proxy.Main",
                jvmOptions, args);
    }

    private static ProxyProcess launch(List<String> prefix, String mainClass, List<String> jvmOptions, String... args)
            throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(java);
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile("pharos-proxy", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new ProxyProcess(p, log);
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String output() throws IOException {
        return Files.readString(log);
    }

    /** Waits until {@code port} on 127.0.0.1 accepts connections, or fails with the process output. */
    public void awaitPort(int port, Duration timeout) throws Exception {
        boolean listening = Await.within(timeout, () -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("proxy exited with " + process.exitValue() + ":\n" + output());
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
        if (listening) {
            return;
        }
        throw new IllegalStateException("proxy did not listen on " + port + " within " + timeout + ":\n" + output());
    }

    public int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("proxy still running after " + timeout);
        }
        return process.exitValue();
    }

    /** {@code kill -9}: SIGKILL on Linux, no shutdown hook runs; returns once the process is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("pid " + process.pid() + " still alive 30 s after SIGKILL");
        }
    }

    /** Sends a signal by name (TERM, HUP) to the process. */
    public void signal(String name) throws Exception {
        new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor();
    }

    @Override
    public void close() throws IOException {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        Files.deleteIfExists(log);
    }

    /** A free TCP port on 127.0.0.1 (closed again at once; a race with other binders is unlikely on loopback). */
    public static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
