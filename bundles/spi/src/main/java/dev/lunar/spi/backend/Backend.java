package dev.lunar.spi.backend;

import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A kind of storage (RAM disk, file, ZFS zvol) that opens block devices. Registered as an OSGi
 * service with the {@link #KIND} property; the SCSI core binds each configured LUN to the backend
 * of its kind and waits (the LUN answers NOT READY) while none is there.
 */
@ConsumerType
public interface Backend {

    /** Service property: the kind LUN configurations name, e.g. {@code "ramdisk"}. */
    String KIND = "lunar.backend.kind";

    String kind();

    /**
     * Opens, creating if the options say so, the device a LUN configuration describes. Called
     * from a management thread; may block.
     *
     * @param name a stable identifier of the LUN, for logs and for backends that keep state
     * @param options the LUN's backend options as configured (for example {@code size},
     *     {@code blockSize}, {@code path}, {@code writeCache}, {@code readOnly}), values as strings
     * @throws BackendException when the options are wrong or the storage cannot be opened, with a
     *     sentence an admin can act on; nothing is left half-created
     */
    BlockDevice open(String name, Map<String, String> options) throws BackendException;
}
