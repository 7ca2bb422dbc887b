package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.command.CommandFlag.MEDIUM;
import static dev.lunar.scsi.internal.command.CommandFlag.WRITES_MEDIUM;

import dev.lunar.spi.scsi.Sense;

/**
 * COMPARE AND WRITE (SBC-3 §5.2): reads NUMBER OF LOGICAL BLOCKS blocks, compares them with the
 * first half of the Data-Out buffer and, only if all are equal, writes the second half. Atomic
 * against every other medium-changing command on overlapping blocks through {@link LbaRangeLocks}
 * (the lock is taken after the Data-Out has arrived, so a slow initiator never holds it).
 */
final class CompareAndWriteCommands {

    private CompareAndWriteCommands() {
    }

    static void register(CommandTable t) {
        // CDB usage (RSOC): WRPROTECT DPO FUA, LBA, NUMBER OF LOGICAL BLOCKS; no group numbers.
        t.add(0x89, "COMPARE AND WRITE",
                CommandTable.usage(0x89, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0xff, 0, 0x07),
                CompareAndWriteCommands::compareAndWrite, MEDIUM, WRITES_MEDIUM);
    }

    private static void compareAndWrite(Command c) {
        // WRPROTECT: no protection information (PROTECT = 0), so only 000b is valid (SBC-3, COMPARE AND WRITE).
        if (c.bits(1, 5, 3) != 0) {
            c.invalidField(1, 7);
            return;
        }
        boolean fua = c.bit(1, 3); // DPO (bit 4) is a cache hint we do not need
        long lba = c.u64(2);
        int blocks = c.u8(13);
        // Beyond MAXIMUM COMPARE AND WRITE LENGTH of the Block Limits page: INVALID FIELD IN CDB.
        if (blocks > BlockLimits.MAX_COMPARE_AND_WRITE_BLOCKS) {
            c.invalidField(13, -1);
            return;
        }
        if (!c.checkRange(lba, blocks)) {
            return;
        }
        int bs = c.geometry().blockSize();
        int length = 2 * blocks * bs;
        // The Data-Out buffer must hold exactly the verify and the write instance; anything else
        // cannot be split into the two halves, so refuse it before moving data. That includes
        // Data-Out announced for a CAW of 0 blocks: the one-byte NUMBER OF LOGICAL BLOCKS then
        // most likely wrapped (256 blocks encoded as 0, which libiscsi's CompareAndWrite tests
        // send and expect refused), and executing it as "nothing to do" would report success for
        // a compare that never happened.
        if (c.task().expectedDataOutLength() != length) {
            c.transferLength(length);
            c.invalidField(13, -1);
            return;
        }
        // SBC-3 §5.2: zero blocks is not an error; nothing is read, compared, transferred or written.
        if (blocks == 0) {
            c.transferLength(0);
            c.good();
            return;
        }
        c.receiveParameterList(length, data -> LbaRangeLocks.lockThen(c, lba, blocks,
                () -> c.readRange(lba, blocks, pieces -> {
                    byte[] medium = BlockWrites.concatAndRelease(pieces);
                    int at = BlockWrites.mismatch(data, 0, medium, 0, blocks * bs);
                    if (at >= 0) {
                        // INFORMATION: offset of the first differing byte in the Data-Out buffer.
                        c.fail(Sense.MISCOMPARE_DURING_VERIFY.withInformation(at));
                        return;
                    }
                    BlockWrites.writeAll(c, lba, BlockWrites.wrap(data, blocks * bs, blocks * bs), fua, c::good);
                })));
    }
}
