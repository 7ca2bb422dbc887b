package dev.lunar.scsi.internal.osgi;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Metatype of a {@code dev.lunar.lun} configuration, for admins browsing configurations. Only the
 * keys the core reads are described; every other key is a backend option passed through as a
 * string (see the backend's own documentation: size, blockSize, path, writeCache, readOnly...).
 */
@ObjectClassDefinition(name = "Lunar logical unit",
        description = "A logical unit mapped into an iSCSI target and backed by a backend of the given kind. "
                + "Every key not listed here is passed to the backend as an option.")
@interface LunConfiguration {

    @AttributeDefinition(required = false,
            description = "IQN of the target the LUN is mapped into; without it the LUN is configured but unmapped")
    String target();

    @AttributeDefinition(description = "LUN number, 0..16383")
    int lun() default 0;

    @AttributeDefinition(description = "Backend kind (lunar.backend.kind), e.g. ramdisk or file")
    String backend();

    @AttributeDefinition(required = false, min = "0", max = "3600",
            description = "Seconds I/O is held while the backend is replaced (bundle update) before NOT READY; 0: no hold")
    int backendGraceSeconds() default 20;
}
