package io.pharos.proxy.config;

import java.util.List;

/** A config that cannot be used; {@link #problems()} holds one line per problem, each naming its HOCON path. */
public final class ConfigException extends Exception {
    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
