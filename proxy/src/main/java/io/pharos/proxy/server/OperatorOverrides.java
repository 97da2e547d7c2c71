package io.pharos.proxy.server;

import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.config.PharosConfig.BackendConfig;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What operators changed through the admin API (drain flags, weight overrides), by backend identity
 * (cluster, backend name), and the state file that keeps it across restarts. Precedence: an override
 * wins over the config's weight and survives reloads (a reload that changes a shadowed config weight
 * says so in its notes); {@code DELETE …/weight} removes it; a reload that removes the backend drops it.
 * Drain and weight are independent: {@code ready} ends a drain and leaves a weight override alone.
 *
 * <p>The file has one line per backend, tab-separated: {@code cluster backend draining=true weight=N};
 * lines starting with {@code #} are comments. It is written to a temporary file in the same directory,
 * forced to disk, then atomically renamed over the old one.
 *
 * <p>Control thread only.
 */
final class OperatorOverrides {
    /** One backend's overrides; {@code weight} absent = the config's. */
    record Override(boolean draining, OptionalInt weight) {
        boolean isEmpty() {
            return !draining && weight.isEmpty();
        }
    }

    private final Optional<Path> file;
    private final Map<String, Map<String, Override>> byCluster = new LinkedHashMap<>();

    OperatorOverrides(Optional<Path> file) {
        this.file = file;
    }

    /** Reads the state file if there is one; a missing file is empty, a malformed line is an error. */
    void load() throws IOException {
        if (file.isEmpty() || !Files.exists(file.get())) {
            return;
        }
        List<String> lines = Files.readAllLines(file.get(), StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t");
            if (f.length < 2) {
                throw new IOException(file.get() + ":" + (i + 1) + ": expected 'cluster<TAB>backend[<TAB>draining=true][<TAB>weight=N]'");
            }
            boolean draining = false;
            OptionalInt weight = OptionalInt.empty();
            for (int k = 2; k < f.length; k++) {
                if (f[k].equals("draining=true")) {
                    draining = true;
                } else if (f[k].startsWith("weight=")) {
                    try {
                        int w = Integer.parseInt(f[k].substring(7));
                        if (w < 0 || w > 65535) {
                            throw new NumberFormatException();
                        }
                        weight = OptionalInt.of(w);
                    } catch (NumberFormatException e) {
                        throw new IOException(file.get() + ":" + (i + 1) + ": bad weight '" + f[k] + "' (expected 0..65535)");
                    }
                } else {
                    throw new IOException(file.get() + ":" + (i + 1) + ": unknown field '" + f[k] + "'");
                }
            }
            put(f[0], f[1], new Override(draining, weight));
        }
    }

    Override get(String cluster, String backend) {
        Map<String, Override> m = byCluster.get(cluster);
        Override o = m == null ? null : m.get(backend);
        return o == null ? new Override(false, OptionalInt.empty()) : o;
    }

    void put(String cluster, String backend, Override o) {
        if (o.isEmpty()) {
            Map<String, Override> m = byCluster.get(cluster);
            if (m != null) {
                m.remove(backend);
                if (m.isEmpty()) {
                    byCluster.remove(cluster);
                }
            }
        } else {
            byCluster.computeIfAbsent(cluster, c -> new LinkedHashMap<>()).put(backend, o);
        }
    }

    /** Applies every override to the clusters, dropping those whose backend no longer exists. Returns whether any was dropped. */
    boolean applyTo(Map<String, Cluster> clusters) {
        boolean dropped = false;
        for (var ce = byCluster.entrySet().iterator(); ce.hasNext(); ) {
            var e = ce.next();
            Cluster c = clusters.get(e.getKey());
            for (var be = e.getValue().entrySet().iterator(); be.hasNext(); ) {
                var b = be.next();
                if (c == null || c.snapshot().member(b.getKey()) == null) {
                    be.remove();
                    dropped = true;
                    continue;
                }
                if (b.getValue().draining()) {
                    c.setDraining(b.getKey(), true);
                }
                if (b.getValue().weight().isPresent()) {
                    c.setWeightOverride(b.getKey(), b.getValue().weight().getAsInt());
                }
            }
            if (e.getValue().isEmpty()) {
                ce.remove();
            }
        }
        return dropped;
    }

    /**
     * One note per weight override that shadows a weight this reload changed in the config (the
     * override still wins; the note says so, and how to let the config's apply).
     */
    List<String> shadowedWeights(PharosConfig before, PharosConfig after) {
        List<String> notes = new ArrayList<>();
        for (var e : byCluster.entrySet()) {
            ClusterConfig was = before.clusters().get(e.getKey());
            ClusterConfig now = after.clusters().get(e.getKey());
            if (was == null || now == null) {
                continue;
            }
            for (var b : e.getValue().entrySet()) {
                OptionalInt override = b.getValue().weight();
                OptionalInt from = configWeight(was, b.getKey());
                OptionalInt to = configWeight(now, b.getKey());
                if (override.isPresent() && from.isPresent() && to.isPresent() && from.getAsInt() != to.getAsInt()) {
                    notes.add("cluster " + e.getKey() + " backend " + b.getKey() + ": config weight " + from.getAsInt()
                            + " -> " + to.getAsInt() + " is shadowed by the operator override " + override.getAsInt()
                            + " (DELETE /clusters/" + e.getKey() + "/backends/" + b.getKey() + "/weight to use the config's)");
                }
            }
        }
        return notes;
    }

    private static OptionalInt configWeight(ClusterConfig c, String backend) {
        for (BackendConfig b : c.backends()) {
            if (b.name().equals(backend)) {
                return OptionalInt.of(b.weight());
            }
        }
        return OptionalInt.empty();
    }

    /** Writes the state file atomically (no-op without one). Blocks on file I/O. */
    void save() throws IOException {
        if (file.isEmpty()) {
            return;
        }
        Path target = file.get().toAbsolutePath();
        List<String> lines = new ArrayList<>();
        lines.add("# pharos operator overrides (drain, weight), written by the proxy on every change");
        for (var e : byCluster.entrySet()) {
            for (var b : e.getValue().entrySet()) {
                StringBuilder sb = new StringBuilder(e.getKey()).append('\t').append(b.getKey());
                if (b.getValue().draining()) {
                    sb.append("\tdraining=true");
                }
                b.getValue().weight().ifPresent(w -> sb.append("\tweight=").append(w));
                lines.add(sb.toString());
            }
        }
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, lines, StandardCharsets.UTF_8);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
