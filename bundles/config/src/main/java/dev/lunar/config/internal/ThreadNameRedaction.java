package dev.lunar.config.internal;

import dev.lunar.api.ConfigPids;
import java.util.Map;

/**
 * Takes secret values out of the calling thread's name for the length of a call. Karaf runs a
 * shell command on a thread named {@code pipe-<the command line>} and its log pattern prints
 * thread names, so {@code lunar:chap-set --secret S} would put S into karaf.log with every line
 * logged on that thread (found by SecretsE2EIT).
 *
 * <p>Only the calling thread is touched; {@link #close()} restores its name.
 */
final class ThreadNameRedaction implements AutoCloseable {

    private static final ThreadNameRedaction NOTHING = new ThreadNameRedaction(null, null);

    private final Thread thread;
    private final String original;

    private ThreadNameRedaction(Thread thread, String original) {
        this.thread = thread;
        this.original = original;
    }

    /** Replaces each secret value of {@code properties} in the current thread's name by {@code ********}. */
    static ThreadNameRedaction hide(Map<String, String> properties) {
        Thread current = Thread.currentThread();
        String name = current.getName();
        String redacted = name;
        for (Map.Entry<String, String> e : properties.entrySet()) {
            String value = e.getValue();
            if (e.getKey() != null && ConfigPids.isSecret(e.getKey()) && value != null && !value.isEmpty()) {
                redacted = redacted.replace(value, "********");
            }
        }
        if (redacted.equals(name)) {
            return NOTHING;
        }
        current.setName(redacted);
        return new ThreadNameRedaction(current, name);
    }

    @Override
    public void close() {
        if (thread != null) {
            thread.setName(original);
        }
    }
}
