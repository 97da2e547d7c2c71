package io.pharos.proxy.config;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The outcome of one reload (SIGHUP or {@code POST /reload}).
 *
 * @param time    when it finished
 * @param ok      whether the new config is now running; when false, the old one runs untouched
 * @param errors  one line per problem, each naming the config path (empty when ok)
 * @param notes   what changed, or settings that take effect only at restart
 */
public record ReloadResult(Instant time, boolean ok, List<String> errors, List<String> notes) {
    public ReloadResult {
        errors = List.copyOf(errors);
        notes = List.copyOf(notes);
    }

    /** This result with {@code more} notes after its own. */
    public ReloadResult withNotes(List<String> more) {
        if (more.isEmpty()) {
            return this;
        }
        List<String> all = new ArrayList<>(notes);
        all.addAll(more);
        return new ReloadResult(time, ok, errors, all);
    }
}
