package dev.lunar.scsi.internal.command;

import dev.lunar.scsi.internal.lun.LogicalUnit;

/**
 * Builds the body of one vital product data page (everything after the 4-byte header, SPC-4
 * §7.8.1) for INQUIRY with EVPD = 1. Families that own a page (Third-party Copy 8Fh for EXTENDED
 * COPY) register it with {@link CommandTable#addVpdPage}; INQUIRY lists it in page 00h.
 */
@FunctionalInterface
public interface VpdPage {

    byte[] body(Command command, LogicalUnit lu);
}
