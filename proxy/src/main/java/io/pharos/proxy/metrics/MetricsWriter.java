package io.pharos.proxy.metrics;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Builds Prometheus text exposition 0.0.4: {@code # HELP} and {@code # TYPE} once per family, then its
 * samples with escaped label values. Used by one scraping thread at a time.
 */
public final class MetricsWriter {
    private static final Pattern METRIC = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    private final StringBuilder sb = new StringBuilder(8192);
    private final Set<String> families = new HashSet<>();

    MetricsWriter() {
    }

    /** Starts a family; {@code type} is counter, gauge or histogram. Each name once per scrape. */
    public MetricsWriter family(String name, String type, String help) {
        if (!METRIC.matcher(name).matches()) {
            throw new IllegalArgumentException("metric name: " + name);
        }
        if (!families.add(name)) {
            throw new IllegalStateException("metric family written twice: " + name);
        }
        sb.append("# HELP ").append(name).append(' ');
        for (int i = 0; i < help.length(); i++) {
            char c = help.charAt(i);
            if (c == '\\') {
                sb.append("\\\\");
            } else if (c == '\n') {
                sb.append("\\n");
            } else {
                sb.append(c);
            }
        }
        sb.append('\n').append("# TYPE ").append(name).append(' ').append(type).append('\n');
        return this;
    }

    /** One sample; {@code labels} alternate name, value. */
    public MetricsWriter sample(String name, long value, String... labels) {
        head(name, labels);
        sb.append(value).append('\n');
        return this;
    }

    /** One sample with a floating-point value. */
    public MetricsWriter sample(String name, double value, String... labels) {
        head(name, labels);
        if (Double.isNaN(value)) {
            sb.append("NaN");
        } else if (Double.isInfinite(value)) {
            sb.append(value > 0 ? "+Inf" : "-Inf");
        } else {
            sb.append(value);
        }
        sb.append('\n');
        return this;
    }

    private void head(String name, String[] labels) {
        if ((labels.length & 1) != 0) {
            throw new IllegalArgumentException("labels: " + labels.length + " strings (expected: name, value pairs)");
        }
        sb.append(name);
        if (labels.length > 0) {
            sb.append('{');
            for (int i = 0; i < labels.length; i += 2) {
                if (!LABEL.matcher(labels[i]).matches()) {
                    throw new IllegalArgumentException("label name: " + labels[i]);
                }
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(labels[i]).append("=\"");
                String v = labels[i + 1];
                for (int j = 0; j < v.length(); j++) {
                    char c = v.charAt(j);
                    switch (c) {
                        case '\\' -> sb.append("\\\\");
                        case '"' -> sb.append("\\\"");
                        case '\n' -> sb.append("\\n");
                        default -> sb.append(c);
                    }
                }
                sb.append('"');
            }
            sb.append('}');
        }
        sb.append(' ');
    }

    String text() {
        return sb.toString();
    }
}
