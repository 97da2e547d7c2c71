package io.pharos.proxy.testing;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of Prometheus text exposition 0.0.4 for tests: every line must be a HELP, a TYPE or
 * a sample; a family's HELP and TYPE come once, before its samples, and its samples are contiguous;
 * sample names must belong to the current family (histograms: {@code _bucket}, {@code _sum},
 * {@code _count}); label values are decoded; histogram buckets must be cumulative and end in
 * {@code +Inf} equal to {@code _count}. Throws {@link IllegalArgumentException} naming the line.
 */
public final class PrometheusText {
    private static final Pattern HELP = Pattern.compile("# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)");
    private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (\\S+)( -?\\d+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"");

    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final Map<String, String> types = new LinkedHashMap<>();
    private final List<Sample> samples = new ArrayList<>();

    private PrometheusText() {
    }

    public static PrometheusText parse(String text) {
        PrometheusText p = new PrometheusText();
        p.run(text);
        return p;
    }

    private void run(String text) {
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IllegalArgumentException("exposition must end with a newline");
        }
        Set<String> helped = new HashSet<>();
        Set<String> closed = new HashSet<>();
        String current = null;
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length - 1; i++) {
            String line = lines[i];
            String where = "line " + (i + 1) + " '" + line + "'";
            Matcher m;
            if ((m = HELP.matcher(line)).matches()) {
                String f = m.group(1);
                if (!helped.add(f) || closed.contains(f)) {
                    throw new IllegalArgumentException(where + ": second HELP for " + f);
                }
                if (current != null && !current.equals(f)) {
                    closed.add(current);
                }
                current = f;
            } else if ((m = TYPE.matcher(line)).matches()) {
                String f = m.group(1);
                if (types.containsKey(f) || !f.equals(current)) {
                    throw new IllegalArgumentException(where + ": TYPE must follow its HELP once");
                }
                types.put(f, m.group(2));
            } else if ((m = SAMPLE.matcher(line)).matches()) {
                String name = m.group(1);
                if (current == null || !types.containsKey(current) || !belongs(name, current, types.get(current))) {
                    throw new IllegalArgumentException(where + ": sample outside its family (current " + current + ")");
                }
                Map<String, String> labels = new LinkedHashMap<>();
                if (m.group(3) != null && !m.group(3).isEmpty()) {
                    parseLabels(m.group(3), labels, where);
                }
                samples.add(new Sample(name, labels, value(m.group(4), where)));
            } else {
                throw new IllegalArgumentException(where + ": not HELP, TYPE or a sample");
            }
        }
        checkHistograms();
    }

    private static boolean belongs(String sample, String family, String type) {
        if (type.equals("histogram")) {
            return sample.equals(family + "_bucket") || sample.equals(family + "_sum") || sample.equals(family + "_count");
        }
        return sample.equals(family);
    }

    private static void parseLabels(String s, Map<String, String> out, String where) {
        int pos = 0;
        Matcher m = LABEL.matcher(s);
        while (pos < s.length()) {
            if (!m.find(pos) || m.start() != pos) {
                throw new IllegalArgumentException(where + ": bad labels at " + pos);
            }
            String v = m.group(2).replace("\\n", "\n").replace("\\\"", "\"").replace("\\\\", "\\");
            if (out.put(m.group(1), v) != null) {
                throw new IllegalArgumentException(where + ": duplicate label " + m.group(1));
            }
            pos = m.end();
            if (pos < s.length()) {
                if (s.charAt(pos) != ',') {
                    throw new IllegalArgumentException(where + ": expected ',' at " + pos);
                }
                pos++;
            }
        }
    }

    private static double value(String v, String where) {
        switch (v) {
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            case "NaN":
                return Double.NaN;
            default:
                try {
                    return Double.parseDouble(v);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(where + ": bad value " + v);
                }
        }
    }

    private void checkHistograms() {
        for (Map.Entry<String, String> t : types.entrySet()) {
            if (!t.getValue().equals("histogram")) {
                continue;
            }
            String f = t.getKey();
            Map<Map<String, String>, List<Sample>> series = new LinkedHashMap<>();
            for (Sample s : samples) {
                if (s.name().equals(f + "_bucket")) {
                    Map<String, String> key = new LinkedHashMap<>(s.labels());
                    key.remove("le");
                    series.computeIfAbsent(key, k -> new ArrayList<>()).add(s);
                }
            }
            for (Map.Entry<Map<String, String>, List<Sample>> e : series.entrySet()) {
                double prevLe = Double.NEGATIVE_INFINITY;
                double prev = 0;
                for (Sample b : e.getValue()) {
                    double le = value(b.labels().get("le"), f);
                    if (le <= prevLe || b.value() < prev) {
                        throw new IllegalArgumentException(f + e.getKey() + ": buckets not increasing at le=" + b.labels().get("le"));
                    }
                    prevLe = le;
                    prev = b.value();
                }
                if (prevLe != Double.POSITIVE_INFINITY) {
                    throw new IllegalArgumentException(f + e.getKey() + ": no +Inf bucket");
                }
                double count = value(f + "_count", e.getKey());
                if (count != prev) {
                    throw new IllegalArgumentException(f + e.getKey() + ": +Inf bucket " + prev + " != _count " + count);
                }
            }
        }
    }

    public Map<String, String> types() {
        return types;
    }

    public List<Sample> samples() {
        return samples;
    }

    /** The value of the one sample named {@code name} with exactly these labels (name, value pairs); fails if absent. */
    public double value(String name, String... labels) {
        return value(name, labelMap(labels));
    }

    private double value(String name, Map<String, String> labels) {
        for (Sample s : samples) {
            if (s.name().equals(name) && s.labels().equals(labels)) {
                return s.value();
            }
        }
        throw new IllegalArgumentException("no sample " + name + labels);
    }

    /** Sum of the samples named {@code name} whose labels include these (name, value pairs). */
    public double sum(String name, String... labels) {
        Map<String, String> want = labelMap(labels);
        double total = 0;
        for (Sample s : samples) {
            if (s.name().equals(name) && s.labels().entrySet().containsAll(want.entrySet())) {
                total += s.value();
            }
        }
        return total;
    }

    private static Map<String, String> labelMap(String... labels) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            m.put(labels[i], labels[i + 1]);
        }
        return m;
    }
}
