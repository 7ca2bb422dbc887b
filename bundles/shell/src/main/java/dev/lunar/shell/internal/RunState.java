package dev.lunar.shell.internal;

/** The State column of configuration lists: whether the running service knows the object. */
final class RunState {

    private RunState() {
    }

    /**
     * {@code active} when the service runs the object, {@code not running} when the service is up
     * but does not (its configuration was refused: the log says why), {@code unknown} without the
     * service.
     */
    static String of(Object service, Object runtimeInfo) {
        if (service == null) {
            return "unknown";
        }
        return runtimeInfo != null ? "active" : "not running";
    }
}
