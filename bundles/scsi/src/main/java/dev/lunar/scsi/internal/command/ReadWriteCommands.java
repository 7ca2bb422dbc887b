package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.command.CommandFlag.MEDIUM;
import static dev.lunar.scsi.internal.command.CommandFlag.WRITES_MEDIUM;

/** READ and WRITE (6), (10), (12), (16) (SBC-3 §5.8-5.11, §5.32-5.35). */
final class ReadWriteCommands {

    /**
     * Where a CDB keeps its fields.
     *
     * @param lbaOffset LOGICAL BLOCK ADDRESS offset
     * @param lbaBytes its width (4 or 8; 6-byte CDBs are decoded apart)
     * @param lengthOffset TRANSFER LENGTH offset
     * @param lengthBytes its width
     */
    record Layout(int lbaOffset, int lbaBytes, int lengthOffset, int lengthBytes) {
        long lba(Command c) {
            return lbaBytes == 8 ? c.u64(lbaOffset) : c.u32(lbaOffset);
        }

        long length(Command c) {
            return lengthBytes == 4 ? c.u32(lengthOffset) : c.u16(lengthOffset);
        }
    }

    static final Layout CDB10 = new Layout(2, 4, 7, 2);
    static final Layout CDB12 = new Layout(2, 4, 6, 4);
    static final Layout CDB16 = new Layout(2, 8, 10, 4);

    private ReadWriteCommands() {
    }

    static void register(CommandTable t) {
        // CDB usage: RDPROTECT/WRPROTECT, DPO and FUA are examined (0xf8 in byte 1): the DPOFUA
        // bit of MODE SENSE says we accept them, and libiscsi checks the two agree.
        t.add(0x08, "READ(6)", usage6(0x08), c -> transfer6(c, false), MEDIUM);
        t.add(0x28, "READ(10)", usage10(0x28), c -> transfer(c, CDB10, false), MEDIUM);
        t.add(0xa8, "READ(12)", usage12(0xa8), c -> transfer(c, CDB12, false), MEDIUM);
        t.add(0x88, "READ(16)", usage16(0x88), c -> transfer(c, CDB16, false), MEDIUM);
        t.add(0x0a, "WRITE(6)", usage6(0x0a), c -> transfer6(c, true), MEDIUM, WRITES_MEDIUM);
        t.add(0x2a, "WRITE(10)", usage10(0x2a), c -> transfer(c, CDB10, true), MEDIUM, WRITES_MEDIUM);
        t.add(0xaa, "WRITE(12)", usage12(0xaa), c -> transfer(c, CDB12, true), MEDIUM, WRITES_MEDIUM);
        t.add(0x8a, "WRITE(16)", usage16(0x8a), c -> transfer(c, CDB16, true), MEDIUM, WRITES_MEDIUM);
    }

    static byte[] usage6(int op) {
        return CommandTable.usage(op, 0x1f, 0xff, 0xff, 0xff, 0x07);
    }

    static byte[] usage10(int op) {
        return CommandTable.usage(op, 0xf8, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0x07);
    }

    static byte[] usage12(int op) {
        return CommandTable.usage(op, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0x07);
    }

    static byte[] usage16(int op) {
        return CommandTable.usage(op, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                0, 0x07);
    }

    /** 6-byte CDBs: 21-bit LBA, and TRANSFER LENGTH 0 means 256 blocks (SBC-3 §5.8, §5.32). */
    private static void transfer6(Command c, boolean write) {
        long lba = ((long) (c.u8(1) & 0x1f) << 16) | c.u16(2);
        int blocks = c.u8(4) == 0 ? 256 : c.u8(4);
        run(c, lba, blocks, 4, write, false);
    }

    private static void transfer(Command c, Layout l, boolean write) {
        // RDPROTECT / WRPROTECT: we keep no protection information (PROTECT = 0 in INQUIRY),
        // so anything but 000b is an invalid field (SBC-3 §5.10 table 52).
        if (c.bits(1, 5, 3) != 0) {
            c.invalidField(1, 7);
            return;
        }
        // DPO (bit 4) is a cache hint we ignore; FUA (bit 3) makes a write stable before GOOD.
        run(c, l.lba(c), l.length(c), l.lengthOffset(), write, c.bit(1, 3));
    }

    /**
     * Checks the range first, then the transfer length against the Block Limits page's MAXIMUM
     * TRANSFER LENGTH; a length of 0 moves nothing and is not an error (SBC-3 §5.10).
     */
    static void run(Command c, long lba, long blocks, int lengthOffset, boolean write, boolean fua) {
        if (!c.checkRange(lba, blocks)) {
            return;
        }
        if (blocks > BlockLimits.maxTransferBlocks(c.geometry())) {
            c.invalidField(lengthOffset, -1);
            return;
        }
        if (write) {
            LbaRangeLocks.lockThenWrite(c, lba, blocks, fua);
        } else {
            c.readToDataIn(lba, blocks);
        }
    }
}
