package io.pharos.health.active;

/** An inclusive range of HTTP status codes an {@code http} check accepts. */
public record StatusRange(int from, int to) {
    public StatusRange {
        if (from < 100 || to > 599 || from > to) {
            throw new IllegalArgumentException("status range: " + from + "-" + to + " (expected: 100 <= from <= to <= 599)");
        }
    }

    public boolean contains(int status) {
        return status >= from && status <= to;
    }

    @Override
    public String toString() {
        return from == to ? Integer.toString(from) : from + "-" + to;
    }
}
