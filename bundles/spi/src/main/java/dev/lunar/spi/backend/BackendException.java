package dev.lunar.spi.backend;

/**
 * A backend cannot open or change a device; the message is a sentence an admin can act on
 * ("/srv/a.img is not writable by the Lunar process"). Thrown only from management calls, never
 * on the I/O path.
 */
public class BackendException extends Exception {

    private static final long serialVersionUID = 1L;

    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
