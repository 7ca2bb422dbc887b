package dev.lunar.shell.internal;

import java.util.function.Supplier;

/**
 * The two ways a management call can be impossible for reasons that are not the operator's
 * mistake: the service providing it is not running (its bundle is stopped, being updated, or not
 * installed), or this version does not implement the call yet. Both become one sentence the shell
 * prints as {@code Error executing command: ...}, never a stack trace.
 */
final class Availability {

    private Availability() {
    }

    /**
     * The service, or an {@link IllegalStateException} naming it when it is not running.
     *
     * @param description what the service is, for example "Lunar's configuration service"
     */
    static <T> T running(T service, Class<T> type, String description) {
        if (service == null) {
            throw new IllegalStateException(description + " (" + type.getName()
                    + ") is not running; lunar:status shows which Lunar bundles are active.");
        }
        return service;
    }

    /**
     * Runs {@code call}; an {@link UnsupportedOperationException} (a service method this version
     * does not implement yet) becomes an {@link IllegalStateException} saying so.
     *
     * @param what the feature as a noun phrase, for example "session I/O counting"
     */
    static <T> T feature(Supplier<T> call, String what) {
        try {
            return call.get();
        } catch (UnsupportedOperationException notYet) {
            throw new IllegalStateException(notAvailable(what));
        }
    }

    /** The sentence for a feature this version lacks. */
    static String notAvailable(String what) {
        return Character.toUpperCase(what.charAt(0)) + what.substring(1) + " is not available in this version.";
    }
}
