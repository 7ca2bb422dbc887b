package dev.lunar.scsi.internal.osgi;

import dev.lunar.scsi.internal.lun.LunBinding;
import dev.lunar.scsi.internal.lun.LunConfig;

/**
 * What a {@link LunComponent} needs from the device server component: a binding for its
 * configuration. Registered as a service inside this bundle only (its package is private).
 */
public interface LunRegistry {

    /** Creates and starts the binding for {@code config}; it shows up in {@code LunService}. */
    LunBinding create(LunConfig config);

    /** Stops the binding (unmap, drain, close) and forgets it. */
    void remove(LunBinding binding);
}
