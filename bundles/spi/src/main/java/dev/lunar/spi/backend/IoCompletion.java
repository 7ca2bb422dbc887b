package dev.lunar.spi.backend;

import dev.lunar.spi.scsi.Sense;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Completion of one backend I/O. Exactly one of the two methods runs, exactly once, on any thread
 * (the submitting thread included, for a backend that completes at once). Must not block.
 * Implemented by the scsi core.
 */
@ProviderType
public interface IoCompletion<T> {

    /** The I/O succeeded; ownership of a reference-counted {@code result} passes to the callee. */
    void completed(T result);

    /** The I/O failed; {@code sense} says how, as the initiator will see it. */
    void failed(Sense sense);
}
