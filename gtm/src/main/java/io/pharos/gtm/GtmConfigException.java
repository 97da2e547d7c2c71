package io.pharos.gtm;

import java.util.List;

/** An invalid GTM config: every problem, one line each, naming the HOCON path and the reason. */
public final class GtmConfigException extends Exception {
    private final List<String> problems;

    public GtmConfigException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
