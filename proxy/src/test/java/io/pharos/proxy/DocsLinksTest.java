package io.pharos.proxy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every relative link and every repository file name ({@code conf/…}, {@code docs/…}, {@code bench/…},
 * {@code bin/…}) in the README, {@code docs/}, {@code bench/README.md}, {@code docker/README.md} and the
 * example configs {@code conf/*.conf} points at something that exists. Reads the repository from the
 * module's parent directory, as Maven runs the tests from the module directory.
 */
class DocsLinksTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    /** The pages issue 12 asks for; the front door links to each. */
    private static final List<String> PAGES = List.of("docs/architecture.md", "docs/http.md", "docs/health.md",
            "docs/configuration.md", "docs/operations.md", "docs/gtm.md", "docs/events.md", "bench/README.md");
    private static final Pattern MARKDOWN_LINK = Pattern.compile("\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
    private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");
    private static final Pattern FILE_NAME = Pattern.compile("(?<![\\w./~$@{-])(?:conf|docs|bench|bin)/[\\w.*/-]*");

    @Test
    void everyLinkAndFileNameInTheDocsPointsAtSomethingThatExists() throws IOException {
        List<Path> docs = documents(ROOT);
        assertTrue(docs.size() >= PAGES.size() + 3, "documents found under " + ROOT + ": " + docs);
        assertEquals(List.of(), dangling(ROOT, docs));
    }

    @Test
    void theDocsPagesExistAndTheReadmeLinksToEach() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        for (String page : PAGES) {
            assertTrue(Files.isRegularFile(ROOT.resolve(page)), page + " exists");
            assertTrue(readme.contains("](" + page + ")"), "README links to " + page);
        }
    }

    @Test
    void aDanglingLinkOrFileNameIsReported(@TempDir Path repo) throws IOException {
        Files.createDirectories(repo.resolve("docs"));
        Files.createDirectories(repo.resolve("conf"));
        Files.writeString(repo.resolve("conf/pharos.conf"), "# see docs/present.md and docs/absent.md\n");
        Files.writeString(repo.resolve("docs/present.md"), "back to the [README](../README.md), on to [gone](gone.md#top)\n");
        Files.writeString(repo.resolve("README.md"), """
                # Test
                [present](docs/present.md), [anchor](#test), [web](https://example.com/x), `conf/pharos.conf`,
                [missing](docs/missing.md) and `bench/results/run-*.md` and `conf/`.
                """);
        List<String> found = dangling(repo, documents(repo));
        assertEquals(List.of(
                "README.md: docs/missing.md",
                "README.md: bench/results/run-*.md",
                "conf/pharos.conf: docs/absent.md",
                "docs/present.md: gone.md#top"), found);
    }

    /** README.md, every page under docs/, bench/README.md, docker/README.md and conf/*.conf that exist. */
    static List<Path> documents(Path root) throws IOException {
        List<Path> docs = new ArrayList<>();
        for (String name : List.of("README.md", "bench/README.md", "docker/README.md")) {
            if (Files.isRegularFile(root.resolve(name))) {
                docs.add(root.resolve(name));
            }
        }
        for (String dir : List.of("conf", "docs")) {
            if (Files.isDirectory(root.resolve(dir))) {
                try (Stream<Path> files = Files.walk(root.resolve(dir))) {
                    files.filter(p -> p.toString().endsWith(".conf") || p.toString().endsWith(".md")).sorted().forEach(docs::add);
                }
            }
        }
        return docs;
    }

    /** One {@code file: target} line per link or file name in {@code docs} that resolves to nothing. */
    static List<String> dangling(Path root, List<Path> docs) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        for (Path doc : docs) {
            String text = Files.readString(doc);
            String name = root.relativize(doc).toString();
            if (name.endsWith(".md")) {
                Matcher m = MARKDOWN_LINK.matcher(text);
                while (m.find()) {
                    String target = m.group(1);
                    if (target.startsWith("#") || SCHEME.matcher(target).find()) {
                        continue;
                    }
                    String file = target.replaceFirst("#.*$", "");
                    if (!exists(doc.getParent(), file)) {
                        out.add(name + ": " + target);
                    }
                }
            }
            Matcher m = FILE_NAME.matcher(text);
            while (m.find()) {
                String file = m.group().replaceFirst("[.]+$", "");
                if (!exists(root, file)) {
                    out.add(name + ": " + file);
                }
            }
        }
        return List.copyOf(out);
    }

    /** Whether {@code name} (a glob if it holds {@code *} in its last part) names a file or directory under {@code base}. */
    private static boolean exists(Path base, String name) throws IOException {
        if (!name.contains("*")) {
            return Files.exists(base.resolve(name));
        }
        Path pattern = base.resolve(name).normalize();
        Path dir = pattern.getParent();
        if (!Files.isDirectory(dir)) {
            return false;
        }
        PathMatcher glob = FileSystems.getDefault().getPathMatcher("glob:" + pattern.getFileName());
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(p -> glob.matches(p.getFileName()));
        }
    }
}
