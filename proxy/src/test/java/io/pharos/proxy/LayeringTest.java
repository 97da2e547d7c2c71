package io.pharos.proxy;

import io.pharos.health.HealthState;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps the package layering of the proxy true: reads the constant pool of every compiled main class
 * (class references and the type names in descriptors and signatures) and fails on an edge the table
 * below does not allow, printing each offending class → class edge. The table is the one place the
 * layering is written down; it must itself be free of cycles.
 */
class LayeringTest {
    private static final String PROXY = "io.pharos.proxy";

    /**
     * Which proxy packages each proxy package may use, relative to {@code io.pharos.proxy} ({@code ""}
     * is the root package with {@code Main}); read it bottom-up as the layering. A new package needs
     * its own line here, and the packages that use it name it in theirs. {@code relay} and
     * {@code l7.retry} come with the branches that create them (the one byte relay; the HTTP retry
     * machinery out of {@code health}); their lines are here already so the merge changes nothing.
     */
    private static final Map<String, Set<String>> ALLOWED = table(
            "transport", "",
            "config", "",
            "continuity.journal", "",
            "continuity.ship", "config continuity.journal tls transport",
            "cluster", "config",
            "lb", "cluster config",
            "metrics", "cluster config",
            "proxyprotocol", "config",
            "tls", "cluster config",
            "relay", "cluster transport",
            "l7.retry", "cluster config",
            "health", "cluster config l7.retry",
            "l4", "cluster config health proxyprotocol relay tls transport",
            "l7", "cluster config health l7.retry metrics proxyprotocol relay tls transport",
            "h2", "config l7 proxyprotocol tls",
            "admin", "cluster config transport",
            "demo", "transport",
            "continuity.apply", "cluster config continuity.journal health tls transport",
            "continuity", "cluster config continuity.apply continuity.journal continuity.ship health l7 metrics tls transport",
            "server", "admin cluster config continuity h2 health l4 l7 lb metrics tls transport",
            "", "admin config continuity.journal demo server tls transport");

    private static final Pattern TYPE_IN_DESCRIPTOR = Pattern.compile("L(io/pharos/[\\w/$]+)[;<]");

    @Test
    void proxyPackagesUseOnlyWhatTheTableAllows() throws Exception {
        Map<String, Set<String>> refs = references(classesOf(Main.class));
        List<String> offending = new ArrayList<>();
        Set<String> unknown = new TreeSet<>();
        refs.forEach((from, targets) -> {
            String fromPkg = proxyPackage(from);
            if (fromPkg == null) {
                return;
            }
            Set<String> allowed = ALLOWED.get(fromPkg);
            if (allowed == null) {
                unknown.add(fromPkg);
                return;
            }
            for (String to : targets) {
                String toPkg = proxyPackage(to);
                if (toPkg != null && !toPkg.equals(fromPkg) && !allowed.contains(toPkg)) {
                    offending.add(from + " -> " + to);
                }
            }
        });
        assertTrue(unknown.isEmpty(), "packages missing from LayeringTest.ALLOWED: " + unknown);
        assertTrue(offending.isEmpty(), offending.size() + " class -> class edges the layering forbids:\n  "
                + String.join("\n  ", new TreeSet<>(offending)));
    }

    @Test
    void theAllowedTableHasNoCycle() {
        for (String start : ALLOWED.keySet()) {
            List<String> cycle = cycleFrom(start, start, new ArrayList<>(List.of(start)), new HashSet<>());
            assertTrue(cycle == null, "cycle in LayeringTest.ALLOWED: " + (cycle == null ? "" : String.join(" -> ", cycle)));
        }
    }

    @Test
    void everyTableEntryNamesAKnownPackage() {
        for (Map.Entry<String, Set<String>> e : ALLOWED.entrySet()) {
            for (String to : e.getValue()) {
                assertTrue(ALLOWED.containsKey(to), e.getKey() + " -> " + to + ": no line for " + to);
            }
        }
    }

    @Test
    void healthImportsNeitherTheProxyNorTheSidecar() throws Exception {
        Map<String, Set<String>> refs = references(classesOf(HealthState.class));
        assertFalse(refs.isEmpty(), "no classes found for the health module");
        List<String> offending = new ArrayList<>();
        refs.forEach((from, targets) -> {
            for (String to : targets) {
                if (to.startsWith(PROXY + ".") || to.startsWith("io.pharos.gtm.")) {
                    offending.add(from + " -> " + to);
                }
            }
        });
        assertTrue(offending.isEmpty(), "io.pharos.health must not use io.pharos.proxy or io.pharos.gtm:\n  "
                + String.join("\n  ", new TreeSet<>(offending)));
    }

    @Test
    void theProxyDoesNotUseTheSidecar() throws Exception {
        List<String> offending = new ArrayList<>();
        references(classesOf(Main.class)).forEach((from, targets) -> {
            for (String to : targets) {
                if (to.startsWith("io.pharos.gtm.")) {
                    offending.add(from + " -> " + to);
                }
            }
        });
        assertTrue(offending.isEmpty(), "io.pharos.proxy must not use io.pharos.gtm:\n  " + String.join("\n  ", offending));
    }

    /** The reader itself: a class's own package never counts, and nested classes resolve to their package. */
    @Test
    void readerFindsReferencesInConstantPoolAndDescriptors() throws Exception {
        Map<String, Set<String>> refs = references(classesOf(Main.class));
        Set<String> fromCluster = refs.get(PROXY + ".cluster.Cluster");
        assertTrue(fromCluster != null && fromCluster.contains(PROXY + ".cluster.LoadBalancerFactory$ForConfig"),
                "Cluster's constructor descriptor names LoadBalancerFactory.ForConfig: " + fromCluster);
        assertEquals("cluster", proxyPackage(PROXY + ".cluster.LoadBalancerFactory$ForConfig"));
        assertEquals("", proxyPackage(PROXY + ".Main"));
        assertEquals(null, proxyPackage("io.pharos.health.HealthState"));
    }

    private static Map<String, Set<String>> table(String... pairs) {
        Map<String, Set<String>> t = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            t.put(pairs[i], pairs[i + 1].isEmpty() ? Set.of() : Set.of(pairs[i + 1].split(" ")));
        }
        return t;
    }

    private static List<String> cycleFrom(String start, String at, List<String> path, Set<String> seen) {
        for (String next : ALLOWED.getOrDefault(at, Set.of())) {
            if (next.equals(start)) {
                List<String> cycle = new ArrayList<>(path);
                cycle.add(next);
                return cycle;
            }
            if (seen.add(next)) {
                path.add(next);
                List<String> found = cycleFrom(start, next, path, seen);
                if (found != null) {
                    return found;
                }
                path.remove(path.size() - 1);
            }
        }
        return null;
    }

    /** The package of {@code className} relative to {@code io.pharos.proxy}, or null outside it. */
    private static String proxyPackage(String className) {
        int dot = className.lastIndexOf('.');
        String pkg = dot < 0 ? "" : className.substring(0, dot);
        if (pkg.equals(PROXY)) {
            return "";
        }
        return pkg.startsWith(PROXY + ".") ? pkg.substring(PROXY.length() + 1) : null;
    }

    /** Where {@code c} was loaded from: a directory of classes or a jar. */
    private static Path classesOf(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** For every class under {@code root} (a directory or a jar), the {@code io.pharos} classes it refers to. */
    private static Map<String, Set<String>> references(Path root) throws IOException {
        Map<String, Set<String>> out = new TreeMap<>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                    try (InputStream in = Files.newInputStream(p)) {
                        read(in, out);
                    }
                }
            }
        } else {
            try (ZipFile jar = new ZipFile(root.toFile())) {
                for (ZipEntry e : jar.stream().toList()) {
                    if (e.getName().endsWith(".class") && !e.getName().startsWith("META-INF/")) {
                        try (InputStream in = jar.getInputStream(e)) {
                            read(in, out);
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * Reads one class file's constant pool (JVMS §4.4): the names of {@code CONSTANT_Class} entries,
     * and every {@code L…;} type in a UTF-8 entry (field and method descriptors, generic signatures,
     * annotation types), which catches types a class mentions without a class entry of their own.
     */
    private static void read(InputStream in, Map<String, Set<String>> out) {
        try {
            DataInputStream d = new DataInputStream(in);
            if (d.readInt() != 0xCAFEBABE) {
                throw new IOException("not a class file");
            }
            d.readUnsignedShort();
            d.readUnsignedShort();
            int count = d.readUnsignedShort();
            String[] utf8 = new String[count];
            int[] classNameIndex = new int[count];
            for (int i = 1; i < count; i++) {
                int tag = d.readUnsignedByte();
                switch (tag) {
                    case 1 -> utf8[i] = d.readUTF();
                    case 7 -> classNameIndex[i] = d.readUnsignedShort();
                    case 8, 16, 19, 20 -> d.skipBytes(2);
                    case 15 -> d.skipBytes(3);
                    case 3, 4, 9, 10, 11, 12, 17, 18 -> d.skipBytes(4);
                    case 5, 6 -> {
                        d.skipBytes(8);
                        i++;
                    }
                    default -> throw new IOException("constant pool tag " + tag + " at " + i);
                }
            }
            d.readUnsignedShort();
            String self = utf8[classNameIndex[d.readUnsignedShort()]].replace('/', '.');
            Set<String> refs = out.computeIfAbsent(self, k -> new TreeSet<>());
            for (int i = 1; i < count; i++) {
                if (classNameIndex[i] != 0) {
                    String name = utf8[classNameIndex[i]];
                    if (name.startsWith("[")) {
                        addTypes(name, refs);
                    } else if (name.startsWith("io/pharos/")) {
                        refs.add(name.replace('/', '.'));
                    }
                } else if (utf8[i] != null) {
                    addTypes(utf8[i], refs);
                }
            }
            refs.remove(self);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void addTypes(String descriptor, Set<String> refs) {
        Matcher m = TYPE_IN_DESCRIPTOR.matcher(descriptor);
        while (m.find()) {
            refs.add(m.group(1).replace('/', '.'));
        }
    }
}
