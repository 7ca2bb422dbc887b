package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.command.CommandFlag.MEDIUM;
import static dev.lunar.scsi.internal.command.CommandTable.usage;
import static dev.lunar.scsi.internal.command.CommandFlag.NO_UNIT_ATTENTION;
import static dev.lunar.scsi.internal.command.CommandFlag.WITHOUT_LOGICAL_UNIT;

import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.scsi.internal.sense.SenseEncoder;
import dev.lunar.spi.backend.IoCompletion;
import dev.lunar.spi.scsi.Sense;

/**
 * Unit state commands: TEST UNIT READY, REQUEST SENSE, START STOP UNIT, PREVENT ALLOW MEDIUM
 * REMOVAL, SYNCHRONIZE CACHE(10/16).
 */
final class StatusCommands {

    private StatusCommands() {
    }

    static void register(CommandTable t) {
        // SPC-4 §6.47: GOOD when the medium is accessible; the dispatcher's MEDIUM check answers
        // NOT READY otherwise, and pending unit attentions come first.
        t.add(0x00, "TEST UNIT READY", usage(0x00, 0, 0, 0, 0, 0x07), Command::good, MEDIUM);
        t.add(0x03, "REQUEST SENSE", usage(0x03, 0x01, 0, 0, 0xff, 0x07), StatusCommands::requestSense, NO_UNIT_ATTENTION, WITHOUT_LOGICAL_UNIT);
        t.add(0x1b, "START STOP UNIT", usage(0x1b, 0x01, 0, 0x0f, 0xf7, 0x07), StatusCommands::startStopUnit);
        t.add(0x1e, "PREVENT ALLOW MEDIUM REMOVAL", usage(0x1e, 0, 0, 0, 0x03, 0x07), StatusCommands::preventAllow);
        t.add(0x35, "SYNCHRONIZE CACHE(10)", usage(0x35, 0x02, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0x07), c -> synchronizeCache(c, c.u32(2), c.u16(7), c.bit(1, 1)), MEDIUM);
        t.add(0x91, "SYNCHRONIZE CACHE(16)", usage(0x91, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                0xff, 0xff, 0xff, 0xff, 0, 0x07), c -> synchronizeCache(c, c.u64(2), c.u32(10), c.bit(1, 1)), MEDIUM);
    }

    /**
     * REQUEST SENSE (SPC-4 §6.29): iSCSI returns sense with the status (autosense), so the only
     * thing left to report is a pending unit attention, which this clears; otherwise NO SENSE, or
     * LOGICAL UNIT NOT SUPPORTED for an unmapped LUN, always with GOOD status.
     */
    private static void requestSense(Command c) {
        boolean desc = c.bit(1, 0);
        int alloc = c.u8(4);
        Sense s;
        if (c.lu() == null) {
            s = SenseCodes.LUN_NOT_SUPPORTED;
        } else {
            s = c.lu().unitAttentions().take(c.nexus().name());
            if (s == null) {
                Sense notReady = c.lu().notReadySense();
                s = notReady != null ? notReady : SenseCodes.NO_SENSE;
            }
        }
        byte[] data = desc ? SenseEncoder.descriptor(s) : SenseEncoder.fixed(s);
        c.respond(data, data.length, alloc);
    }

    /**
     * START STOP UNIT (SBC-3 §5.25). The medium is not removable, so LOEJ is refused; a POWER
     * CONDITION other than START_VALID(0) makes START and LOEJ irrelevant. Stopping (START = 0)
     * writes the volatile cache back unless NO_FLUSH is set; the unit itself stays accessible, as
     * a virtual disk has no spindle to stop.
     */
    private static void startStopUnit(Command c) {
        int powerCondition = c.bits(4, 4, 4);
        boolean noFlush = c.bit(4, 2);
        boolean loej = c.bit(4, 1);
        boolean start = c.bit(4, 0);
        if (powerCondition != 0) {
            c.good();
            return;
        }
        if (loej) {
            c.invalidField(4, 1);
            return;
        }
        if (!start && !noFlush && c.lu().device() != null) {
            c.flush(v -> c.good());
            return;
        }
        c.good();
    }

    /**
     * PREVENT ALLOW MEDIUM REMOVAL (SBC-3 §5.12): nothing to prevent on a non-removable medium,
     * so 00b and 01b are accepted; the obsolete values 10b and 11b are refused.
     */
    private static void preventAllow(Command c) {
        if (c.bits(4, 0, 2) > 1) {
            c.invalidField(4, 1);
            return;
        }
        c.good();
    }

    /**
     * SYNCHRONIZE CACHE (SBC-3 §5.22/5.23): the range is checked, then the whole device is
     * flushed (no backend offers a ranged flush). With IMMED the status comes first and the flush
     * runs on; its failure then has nobody to go to, which SBC-3 accepts.
     */
    private static void synchronizeCache(Command c, long lba, long blocks, boolean immed) {
        long capacity = c.geometry().blockCount();
        // NUMBER OF LOGICAL BLOCKS 0 means "to the end of the medium".
        long n = blocks == 0 ? Math.max(0, capacity - lba) : blocks;
        if (!c.checkRange(lba, n)) {
            return;
        }
        if (immed) {
            c.device().flush(new IoCompletion<>() {
                @Override
                public void completed(Void result) {
                }

                @Override
                public void failed(Sense sense) {
                }
            });
            c.good();
            return;
        }
        c.flush(v -> c.good());
    }
}
