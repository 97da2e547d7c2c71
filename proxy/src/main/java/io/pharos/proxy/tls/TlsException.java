package io.pharos.proxy.tls;

import java.util.List;

/** Certificates or keys that could not be loaded; one problem per line, each naming the file. */
public final class TlsException extends Exception {
    private final List<String> problems;

    public TlsException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
