package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.command.CommandFlag.MEDIUM;
import static dev.lunar.scsi.internal.command.CommandFlag.WRITES_MEDIUM;

import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.spi.backend.IoCompletion;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.scsi.Sense;

/**
 * Commands that read the medium to check or combine data: VERIFY(10)/(12)/(16), WRITE AND
 * VERIFY(10)/(12)/(16), ORWRITE(16) and PRE-FETCH(10)/(16) (SBC-3), and WRITE ATOMIC(16) (SBC-4).
 *
 * <p>Data moves piece by piece (at most the backend's maximum transfer per piece), so memory per
 * command stays bounded whatever the range. Commands that change the medium hold the
 * {@link LbaRangeLocks} lock on their range while they do, which is what makes ORWRITE's
 * read-modify-write and WRITE ATOMIC atomic against other writes.
 */
final class VerifyCommands {

    private VerifyCommands() {
    }

    static void register(CommandTable t) {
        // CDB usage maps (RSOC): byte 1 holds the flags each handler reads; group numbers unused.
        t.add(0x2f, "VERIFY(10)", usage10(0x2f, 0xf6), c -> verify(c, c.u32(2), c.u16(7), 7), MEDIUM);
        t.add(0xaf, "VERIFY(12)", usage12(0xaf, 0xf6), c -> verify(c, c.u32(2), c.u32(6), 6), MEDIUM);
        t.add(0x8f, "VERIFY(16)", usage16(0x8f, 0xf6), c -> verify(c, c.u64(2), c.u32(10), 10), MEDIUM);
        t.add(0x2e, "WRITE AND VERIFY(10)", usage10(0x2e, 0xf2), c -> writeAndVerify(c, c.u32(2), c.u16(7), 7),
                MEDIUM, WRITES_MEDIUM);
        t.add(0xae, "WRITE AND VERIFY(12)", usage12(0xae, 0xf2), c -> writeAndVerify(c, c.u32(2), c.u32(6), 6),
                MEDIUM, WRITES_MEDIUM);
        t.add(0x8e, "WRITE AND VERIFY(16)", usage16(0x8e, 0xf2), c -> writeAndVerify(c, c.u64(2), c.u32(10), 10),
                MEDIUM, WRITES_MEDIUM);
        t.add(0x8b, "ORWRITE(16)", usage16(0x8b, 0xf8), VerifyCommands::orWrite, MEDIUM, WRITES_MEDIUM);
        t.add(0x9c, "WRITE ATOMIC(16)", CommandTable.usage(0x9c, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                0xff, 0xff, 0xff, 0xff, 0, 0x07), VerifyCommands::writeAtomic, MEDIUM, WRITES_MEDIUM);
        t.add(0x34, "PRE-FETCH(10)", usage10(0x34, 0x02), c -> preFetch(c, c.u32(2), c.u16(7)), MEDIUM);
        t.add(0x90, "PRE-FETCH(16)", usage16(0x90, 0x02), c -> preFetch(c, c.u64(2), c.u32(10)), MEDIUM);
    }

    /** 10-byte CDB: flags, LBA 2-5, group 6 (unused), length 7-8, CONTROL. */
    private static byte[] usage10(int op, int flags) {
        return CommandTable.usage(op, flags, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0x07);
    }

    /** 12-byte CDB: flags, LBA 2-5, length 6-9, group 10 (unused), CONTROL. */
    private static byte[] usage12(int op, int flags) {
        return CommandTable.usage(op, flags, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0x07);
    }

    /** 16-byte CDB: flags, LBA 2-9, length 10-13, group 14 (unused), CONTROL. */
    private static byte[] usage16(int op, int flags) {
        return CommandTable.usage(op, flags, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0,
                0x07);
    }

    /** One piece of a range walk: {@code blocks} blocks at {@code lba}, {@code offset} bytes in. */
    @FunctionalInterface
    private interface Piece {
        void run(long lba, int blocks, long offset, Runnable next);
    }

    /**
     * Walks {@code [lba, lba + blocks)} in pieces of at most the backend's maximum transfer, one
     * piece at a time (each piece calls {@code next} when done), then runs {@code done}.
     */
    private static void forEachPiece(Command c, long lba, long blocks, Piece piece, Runnable done) {
        int bs = c.geometry().blockSize();
        int max = Math.max(1, Math.min(c.geometry().maxTransferBlocks(), Integer.MAX_VALUE / bs));
        long[] at = {0};
        StepLoop[] loop = new StepLoop[1];
        loop[0] = new StepLoop(() -> {
            if (at[0] >= blocks) {
                done.run();
                return;
            }
            if (!c.live()) {
                return;
            }
            long first = at[0];
            int n = (int) Math.min(max, blocks - first);
            at[0] += n;
            piece.run(lba + first, n, first * bs, () -> loop[0].next());
        });
        loop[0].next();
    }

    /** Fails with MISCOMPARE and the Data-Out offset of the first differing byte (SBC-3, VERIFY). */
    private static void miscompare(Command c, long offset) {
        c.fail(Sense.MISCOMPARE_DURING_VERIFY.withInformation(offset));
    }

    // ------------------------------------------------------------------ VERIFY

    private static void verify(Command c, long lba, long blocks, int lengthOffset) {
        if (c.bits(1, 5, 3) != 0) { // VRPROTECT: no protection information
            c.invalidField(1, 7);
            return;
        }
        int bytchk = c.bits(1, 1, 2);
        if (bytchk == 2) { // reserved (SBC-3, VERIFY BYTCHK)
            c.invalidField(1, 2);
            return;
        }
        if (!c.checkRange(lba, blocks)) {
            return;
        }
        if (blocks == 0) {
            c.transferLength(0);
            c.good();
            return;
        }
        int bs = c.geometry().blockSize();
        if (bytchk == 0) {
            // Medium verification: every block must be readable; the data goes nowhere.
            c.transferLength(0);
            forEachPiece(c, lba, blocks, (at, n, off, next) -> c.read(at, n, buf -> {
                buf.release();
                next.run();
            }), c::good);
            return;
        }
        if (blocks > BlockLimits.maxTransferBlocks(c.geometry())) {
            c.invalidField(lengthOffset, -1);
            return;
        }
        if (bytchk == 1) {
            long length = blocks * bs;
            c.transferLength(length);
            if (!c.dataOutCovers(length)) {
                return;
            }
            forEachPiece(c, lba, blocks, (at, n, off, next) -> c.receiveDataOut((int) off, n * bs,
                    sent -> compareWithMedium(c, at, n, bytes(sent), off, next)), c::good);
            return;
        }
        // BYTCHK 11b: one block of Data-Out, compared with every block of the range. The
        // INFORMATION of a miscompare is the byte offset within the range, as if the block had
        // been sent once per block.
        c.transferLength(bs);
        if (!c.dataOutCovers(bs)) {
            return;
        }
        c.receiveDataOut(0, bs, sent -> {
            byte[] block = bytes(sent);
            forEachPiece(c, lba, blocks, (at, n, off, next) -> {
                byte[] expected = new byte[n * bs];
                for (int i = 0; i < n; i++) {
                    System.arraycopy(block, 0, expected, i * bs, bs);
                }
                compareWithMedium(c, at, n, expected, off, next);
            }, c::good);
        });
    }

    private static byte[] bytes(DataBuffer b) {
        try {
            return b.toByteArray();
        } finally {
            b.release();
        }
    }

    /** Reads {@code n} blocks at {@code lba} and compares them with {@code expected}. */
    private static void compareWithMedium(Command c, long lba, int n, byte[] expected, long offset, Runnable next) {
        c.read(lba, n, buf -> {
            byte[] medium = bytes(buf);
            int at = BlockWrites.mismatch(expected, 0, medium, 0, expected.length);
            if (at >= 0) {
                miscompare(c, offset + at);
                return;
            }
            next.run();
        });
    }

    // ------------------------------------------------------------------ WRITE AND VERIFY

    private static void writeAndVerify(Command c, long lba, long cdbBlocks, int lengthOffset) {
        if (c.bits(1, 5, 3) != 0) { // WRPROTECT
            c.invalidField(1, 7);
            return;
        }
        // BYTCHK 0 (verify the medium) and 1 (compare with the Data-Out) only.
        if (c.bits(1, 1, 2) > 1) {
            c.invalidField(1, 2);
            return;
        }
        if (!c.checkRange(lba, cdbBlocks)) {
            return;
        }
        if (cdbBlocks > BlockLimits.maxTransferBlocks(c.geometry())) {
            c.invalidField(lengthOffset, -1);
            return;
        }
        int bs = c.geometry().blockSize();
        c.transferLength(cdbBlocks * bs);
        long blocks = c.blocksSent(cdbBlocks);
        if (blocks < 0) {
            return;
        }
        if (blocks == 0) {
            c.good();
            return;
        }
        // Each piece is written with FUA, so what is read back is what reached the medium, and
        // compared with what the initiator sent (a failed read is the verify error itself).
        LbaRangeLocks.lockThen(c, lba, blocks, () -> forEachPiece(c, lba, blocks,
                (at, n, off, next) -> c.receiveDataOut((int) off, n * bs, sent -> {
                    byte[] expected = sent.toByteArray();
                    c.write(at, sent, true, v -> compareWithMedium(c, at, n, expected, off, next));
                }), c::good));
    }

    // ------------------------------------------------------------------ ORWRITE

    private static void orWrite(Command c) {
        if (c.bits(1, 5, 3) != 0) { // ORPROTECT
            c.invalidField(1, 7);
            return;
        }
        boolean fua = c.bit(1, 3);
        long lba = c.u64(2);
        long blocks = c.u32(10);
        if (!c.checkRange(lba, blocks)) {
            return;
        }
        if (blocks > BlockLimits.maxTransferBlocks(c.geometry())) {
            c.invalidField(10, -1);
            return;
        }
        int bs = c.geometry().blockSize();
        long length = blocks * bs;
        c.transferLength(length);
        if (!c.dataOutCovers(length)) {
            return;
        }
        if (blocks == 0) {
            c.good();
            return;
        }
        // Read, OR, write under the range lock: no other write lands in between (SBC-3 ORWRITE:
        // the read-modify-write is one atomic operation for ORWRITE).
        LbaRangeLocks.lockThen(c, lba, blocks, () -> forEachPiece(c, lba, blocks,
                (at, n, off, next) -> c.receiveDataOut((int) off, n * bs, sent -> {
                    byte[] mask = bytes(sent);
                    c.read(at, n, buf -> {
                        byte[] data = bytes(buf);
                        for (int i = 0; i < data.length; i++) {
                            data[i] |= mask[i];
                        }
                        c.write(at, BlockWrites.wrap(data, 0, data.length), fua, v -> next.run());
                    });
                }), c::good));
    }

    // ------------------------------------------------------------------ WRITE ATOMIC

    private static void writeAtomic(Command c) {
        if (c.bits(1, 5, 3) != 0) { // WRPROTECT
            c.invalidField(1, 7);
            return;
        }
        boolean fua = c.bit(1, 3);
        long lba = c.u64(2);
        int boundary = c.u16(10);
        int blocks = c.u16(12);
        // MAXIMUM ATOMIC TRANSFER LENGTH WITH ATOMIC BOUNDARY is 0 in our Block Limits page:
        // boundaries are not supported, so only ATOMIC BOUNDARY 0 is valid (SBC-4, WRITE ATOMIC(16)).
        if (boundary != 0) {
            c.invalidField(10, -1);
            return;
        }
        if (!c.checkRange(lba, blocks)) {
            return;
        }
        if (blocks > BlockLimits.MAX_ATOMIC_BLOCKS) {
            c.invalidField(12, -1);
            return;
        }
        int bs = c.geometry().blockSize();
        if (blocks == 0) {
            c.transferLength(0);
            c.good();
            return;
        }
        // All the data first, then one lock and (when the backend allows that many blocks) one
        // backend write: no other command sees a partial result.
        c.receiveParameterList(blocks * bs, data -> LbaRangeLocks.lockThen(c, lba, blocks,
                () -> BlockWrites.writeAll(c, lba, BlockWrites.wrap(data, 0, data.length), fua, c::good)));
    }

    // ------------------------------------------------------------------ PRE-FETCH

    private static void preFetch(Command c, long lba, long blocks) {
        boolean immediate = c.bit(1, 1);
        if (!c.checkRange(lba, blocks)) {
            return;
        }
        // NUMBER OF LOGICAL BLOCKS 0: from LBA to the end of the medium (SBC-3, PRE-FETCH).
        long n = blocks == 0 ? c.geometry().blockCount() - lba : blocks;
        // We read at most MAXIMUM PREFETCH LENGTH blocks (the Block Limits page says so).
        long fetch = Math.min(n, BlockLimits.maxTransferBlocks(c.geometry()));
        c.transferLength(0);
        // Lunar keeps no cache of its own: the reads warm the backend's (the page cache of a file
        // LU). It cannot promise the blocks stay there, so the status is GOOD, the answer SBC-3
        // gives for "not all of them fit in the cache", never CONDITION MET.
        if (immediate) {
            c.good();
            prefetchDetached(c.device(), lba, fetch, c.geometry().maxTransferBlocks());
            return;
        }
        forEachPiece(c, lba, fetch, (at, k, off, next) -> c.read(at, k, buf -> {
            buf.release();
            next.run();
        }), c::good);
    }

    /** IMMED = 1: the reads run after GOOD, fire and forget, one at a time. */
    private static void prefetchDetached(BlockDevice device, long lba, long blocks, int max) {
        if (device == null) {
            return;
        }
        long[] at = {lba, blocks};
        StepLoop[] loop = new StepLoop[1];
        loop[0] = new StepLoop(() -> {
            if (at[1] <= 0) {
                return;
            }
            int n = (int) Math.min(max, at[1]);
            long where = at[0];
            at[0] += n;
            at[1] -= n;
            device.read(where, n, new IoCompletion<>() {
                @Override
                public void completed(DataBuffer result) {
                    result.release();
                    loop[0].next();
                }

                @Override
                public void failed(Sense sense) {
                    // A prefetch is a hint; the next real read reports the error.
                }
            });
        });
        loop[0].next();
    }
}
