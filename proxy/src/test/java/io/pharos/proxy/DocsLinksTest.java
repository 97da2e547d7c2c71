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
import java.util.Locale;
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
    /** {@code docs/gtm.md ("Section")}, {@code docs/operations.md, "Section"}: a page and the heading a reader looks for. */
    private static final Pattern QUOTED_SECTION = Pattern.compile("((?:docs|bench|docker)/[\\w.-]+\\.md),? *\\(?\"([^\"]+)\"");
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

    /**
     * The heading a pointer names exists: a Markdown link's {@code #anchor}, and a page named with its section
     * in quotes, {@code docs/gtm.md ("Setting up the DNS server")} or {@code docs/operations.md, "JVM settings"},
     * in the docs, the launcher and the commands' help texts.
     */
    @Test
    void everyAnchorAndQuotedSectionNamesAHeadingOfItsPage() throws IOException {
        List<Path> docs = new ArrayList<>(documents(ROOT));
        for (String source : List.of("bin/pharos", "proxy/src/main/java/io/pharos/proxy/CommandHelp.java",
                "gtm/src/main/java/io/pharos/gtm/GtmMain.java")) {
            docs.add(ROOT.resolve(source));
        }
        assertEquals(List.of(), missingHeadings(ROOT, docs));
    }

    @Test
    void aMissingHeadingIsReported(@TempDir Path repo) throws IOException {
        Files.createDirectories(repo.resolve("docs"));
        Files.writeString(repo.resolve("docs/ops.md"), "# Operations\n\n## JVM settings (defaults)\n");
        Files.writeString(repo.resolve("README.md"), """
                [ok](docs/ops.md#jvm-settings-defaults), [bad](docs/ops.md#logging), [self](#readme)
                see docs/ops.md ("JVM settings") and docs/ops.md, "Logging".
                # Readme
                """);
        assertEquals(List.of("README.md: docs/ops.md#logging", "README.md: docs/ops.md \"Logging\""),
                missingHeadings(repo, List.of(repo.resolve("README.md"))));
    }

    /** One {@code file: target} line per anchor or quoted section in {@code docs} that its page has no heading for. */
    static List<String> missingHeadings(Path root, List<Path> docs) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        for (Path doc : docs) {
            String text = Files.readString(doc);
            String name = root.relativize(doc).toString();
            Matcher link = MARKDOWN_LINK.matcher(text);
            while (name.endsWith(".md") && link.find()) {
                String target = link.group(1);
                int hash = target.indexOf('#');
                if (hash < 0 || SCHEME.matcher(target).find()) {
                    continue;
                }
                Path page = hash == 0 ? doc : doc.getParent().resolve(target.substring(0, hash));
                String anchor = target.substring(hash + 1);
                if (Files.isRegularFile(page) && headings(page).stream().map(DocsLinksTest::anchor).noneMatch(anchor::equals)) {
                    out.add(name + ": " + target);
                }
            }
            Matcher section = QUOTED_SECTION.matcher(text);
            while (section.find()) {
                Path page = root.resolve(section.group(1));
                String title = section.group(2);
                if (Files.isRegularFile(page) && headings(page).stream().noneMatch(h -> h.startsWith(title))) {
                    out.add(name + ": " + section.group(1) + " \"" + title + "\"");
                }
            }
        }
        return List.copyOf(out);
    }

    private static List<String> headings(Path page) throws IOException {
        return Files.readAllLines(page).stream().filter(l -> l.startsWith("#")).map(l -> l.replaceFirst("^#+\\s*", "").trim()).toList();
    }

    /** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
    static String anchor(String heading) {
        return heading.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
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
