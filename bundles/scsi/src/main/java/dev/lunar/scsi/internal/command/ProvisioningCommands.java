package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.command.CommandFlag.MEDIUM;
import static dev.lunar.scsi.internal.command.CommandFlag.WRITES_MEDIUM;

import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.spi.backend.Geometry;
import dev.lunar.spi.backend.Provisioning;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.scsi.Sense;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Logical block provisioning commands (SBC-3, logical block provisioning): WRITE SAME(10)/(16),
 * UNMAP and GET LBA STATUS.
 *
 * <p>What we advertise and therefore enforce: WSNZ = 0 (a WRITE SAME of zero blocks writes to the end of the LU),
 * ANC_SUP = 0 (no anchored state, so every ANCHOR bit is an invalid field), LBPRZ = 1 when the
 * backend can deallocate (deallocated blocks read as zeros, {@code BlockDevice#unmap}), and the
 * limits of {@link BlockLimits}. Provisioning management (LBPME) is on exactly when the backend can
 * deallocate, as READ CAPACITY(16) and VPD B2h say.
 */
final class ProvisioningCommands {

    /** Backend provisioning queries one GET LBA STATUS may make before it answers with what it has. */
    static final int MAX_STATUS_QUERIES = 1024;
    /** LBA status descriptors returned at most (the initiator asks again from where we stopped). */
    static final int MAX_STATUS_DESCRIPTORS = 64;
    /** Bytes of repeated pattern WRITE SAME hands the backend per write. */
    static final int WRITE_SAME_CHUNK_BYTES = 1 << 20;

    private ProvisioningCommands() {
    }

    static void register(CommandTable t) {
        // CDB usage maps (RSOC) follow the fields each handler reads; group numbers are unused.
        t.add(0x41, "WRITE SAME(10)", CommandTable.usage(0x41, 0xf8, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0x07),
                c -> writeSame(c, c.u32(2), c.u16(7), 7, false), MEDIUM, WRITES_MEDIUM);
        t.add(0x93, "WRITE SAME(16)", CommandTable.usage(0x93, 0xf9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                0xff, 0xff, 0xff, 0xff, 0, 0x07), c -> writeSame(c, c.u64(2), c.u32(10), 10, true), MEDIUM,
                WRITES_MEDIUM);
        t.add(0x42, "UNMAP", CommandTable.usage(0x42, 0x01, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07),
                ProvisioningCommands::unmap, MEDIUM, WRITES_MEDIUM);
        t.add(CapacityCommands.SERVICE_ACTION_IN_16, 0x12, "GET LBA STATUS", CommandTable.usage(0x9e, 0x12, 0xff, 0xff,
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0x07), ProvisioningCommands::getLbaStatus,
                MEDIUM);
    }

    // ------------------------------------------------------------------ WRITE SAME

    private static void writeSame(Command c, long lba, long cdbBlocks, int lengthOffset, boolean sixteen) {
        long blocks = cdbBlocks;
        if (c.bits(1, 5, 3) != 0) { // WRPROTECT: no protection information
            c.invalidField(1, 7);
            return;
        }
        if (c.bit(1, 4)) { // ANCHOR with ANC_SUP = 0 (SBC-3, WRITE SAME(16))
            c.invalidField(1, 4);
            return;
        }
        // PBDATA and LBDATA are obsolete in SBC-3; we cannot honour them.
        if (c.bit(1, 2)) {
            c.invalidField(1, 2);
            return;
        }
        if (c.bit(1, 1)) {
            c.invalidField(1, 1);
            return;
        }
        boolean unmap = c.bit(1, 3);
        boolean noDataOut = sixteen && c.bit(1, 0); // NDOB (SBC-4, WRITE SAME(16)): a block of zeros
        if (blocks == 0) {
            // WSNZ = 0 in the Block Limits page: NUMBER OF LOGICAL BLOCKS 0 means every block
            // from the LBA to the last one (SBC-3 WRITE SAME(10)/(16)), which is subject to
            // MAXIMUM WRITE SAME LENGTH like any other count. Blocks are written in bounded
            // chunks below, so "to the end" costs no more memory than a counted WRITE SAME.
            if (!c.checkRange(lba, 0)) {
                return;
            }
            blocks = c.geometry().blockCount() - lba;
        }
        // Beyond MAXIMUM WRITE SAME LENGTH: invalid whatever the LBA.
        if (blocks > BlockLimits.MAX_WRITE_SAME_BLOCKS) {
            c.invalidField(lengthOffset, -1);
            return;
        }
        if (!c.checkRange(lba, blocks)) {
            return;
        }
        int bs = c.geometry().blockSize();
        long count = blocks;
        if (noDataOut) {
            c.transferLength(0);
            writeSameWith(c, lba, count, new byte[bs], unmap);
            return;
        }
        // WRITE SAME transfers exactly one logical block (SBC-3). Data-Out announced beyond it is
        // not a residual to ignore but a command the initiator built wrong (libiscsi
        // WriteSame*.InvalidDataOutSize); short Data-Out fails in receiveParameterList the same way.
        if (c.task().expectedDataOutLength() > bs) {
            c.transferLength(bs);
            c.fail(SenseCodes.INVALID_FIELD_IN_COMMAND_IU);
            return;
        }
        c.receiveParameterList(bs, block -> writeSameWith(c, lba, count, block, unmap));
    }

    private static void writeSameWith(Command c, long lba, long blocks, byte[] block, boolean unmap) {
        LbaRangeLocks.lockThen(c, lba, blocks, () -> {
            // SBC-4 (WRITE SAME): for each LBA the device server either writes the block or performs an unmap operation;
            // with UNMAP set and a LU that can deallocate we unmap whatever the block holds, as LIO does and as libiscsi's
            // WriteSame*.Unmap* tests expect (unmapped LBAs read as zeros, LBPRZ = 1; the backend zeroes partial pieces).
            // Linux only ever sends zeros with UNMAP set, so no initiator we know loses data to this.
            if (unmap && BlockLimits.unmapSupported(c.geometry())) {
                deallocate(c, lba, blocks, c::good);
            } else {
                writeRepeated(c, lba, blocks, block, c::good);
            }
        });
    }

    /** Writes {@code block} to every block of the range, reusing one pattern buffer for every write. */
    private static void writeRepeated(Command c, long lba, long blocks, byte[] block, Runnable then) {
        Geometry g = c.geometry();
        int bs = g.blockSize();
        int perWrite = (int) Math.min(blocks, Math.max(1, Math.min(g.maxTransferBlocks(), WRITE_SAME_CHUNK_BYTES / bs)));
        byte[] bytes = new byte[perWrite * bs];
        for (int i = 0; i < perWrite; i++) {
            System.arraycopy(block, 0, bytes, i * bs, bs);
        }
        DataBuffer pattern = DataBuffers.wrap(bytes);
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                pattern.release();
            }
        };
        c.onFinish(release);
        long[] at = {lba, blocks}; // next LBA, blocks left; only the running step touches them
        StepLoop[] loop = new StepLoop[1];
        loop[0] = new StepLoop(() -> {
            if (at[1] == 0) {
                release.run();
                then.run();
                return;
            }
            if (!c.live()) {
                return;
            }
            int n = (int) Math.min(perWrite, at[1]);
            long where = at[0];
            at[0] += n;
            at[1] -= n;
            c.write(where, pattern.retainedSlice(0, n * bs), false, v -> loop[0].next());
        });
        loop[0].next();
    }

    /** Deallocates the range in pieces no larger than the backend's single UNMAP. */
    static void deallocate(Command c, long lba, long blocks, Runnable then) {
        long max = c.geometry().maxUnmapBlocks() > 0 ? c.geometry().maxUnmapBlocks() : Long.MAX_VALUE;
        long[] at = {lba, blocks};
        StepLoop[] loop = new StepLoop[1];
        loop[0] = new StepLoop(() -> {
            if (at[1] == 0) {
                then.run();
                return;
            }
            long n = Math.min(max, at[1]);
            long where = at[0];
            at[0] += n;
            at[1] -= n;
            c.unmap(where, n, v -> loop[0].next());
        });
        loop[0].next();
    }

    // ------------------------------------------------------------------ UNMAP

    private static void unmap(Command c) {
        Geometry g = c.geometry();
        // LBPU = 0 in VPD B2h when the backend cannot deallocate: the command is not supported here.
        if (!BlockLimits.unmapSupported(g)) {
            c.fail(Sense.INVALID_OPCODE);
            return;
        }
        if (c.bit(1, 0)) { // ANCHOR with ANC_SUP = 0
            c.invalidField(1, 0);
            return;
        }
        int length = c.u16(7);
        if (length == 0) { // SBC-3 UNMAP: nothing to transfer, not an error
            c.transferLength(0);
            c.good();
            return;
        }
        if (length < 8) {
            c.transferLength(length);
            c.parameterListLengthError();
            return;
        }
        c.receiveParameterList(length, p -> unmapList(c, p));
    }

    private static void unmapList(Command c, byte[] p) {
        ByteBuffer b = ByteBuffer.wrap(p);
        int descriptorBytes = Math.min(b.getShort(2) & 0xffff, p.length - 8);
        // A trailing partial descriptor is ignored (SBC-3, UNMAP parameter list).
        int count = descriptorBytes / 16;
        if (count > BlockLimits.MAX_UNMAP_DESCRIPTORS) {
            c.invalidParameter(2, -1);
            return;
        }
        long capacity = c.geometry().blockCount();
        long maxBlocks = BlockLimits.maxUnmapBlocks(c.geometry());
        long[] lbas = new long[count];
        long[] lengths = new long[count];
        long first = Long.MAX_VALUE;
        long end = 0;
        // Check every descriptor before deallocating anything, so a bad list changes nothing.
        for (int i = 0; i < count; i++) {
            int off = 8 + 16 * i;
            long lba = b.getLong(off);
            long n = b.getInt(off + 8) & 0xffffffffL;
            if (lba < 0 || lba > capacity || n > capacity - lba) {
                c.fail(Sense.LBA_OUT_OF_RANGE);
                return;
            }
            if (n > maxBlocks) {
                c.invalidParameter(off + 8, -1);
                return;
            }
            lbas[i] = lba;
            lengths[i] = n;
            if (n > 0) {
                first = Math.min(first, lba);
                end = Math.max(end, lba + n);
            }
        }
        if (end == 0) {
            c.good();
            return;
        }
        // One lock over the span of all descriptors: a command holds one range, never deadlocks.
        LbaRangeLocks.lockThen(c, first, end - first, () -> unmapFrom(c, lbas, lengths, 0));
    }

    private static void unmapFrom(Command c, long[] lbas, long[] lengths, int i) {
        if (i == lbas.length) {
            c.good();
            return;
        }
        deallocate(c, lbas[i], lengths[i], () -> unmapFrom(c, lbas, lengths, i + 1));
    }

    // ------------------------------------------------------------------ GET LBA STATUS

    private static void getLbaStatus(Command c) {
        long lba = c.u64(2);
        long alloc = c.u32(10);
        long capacity = c.geometry().blockCount();
        if (lba < 0 || lba >= capacity) {
            c.fail(Sense.LBA_OUT_OF_RANGE);
            return;
        }
        if (alloc == 0) {
            c.transferLength(0);
            c.good();
            return;
        }
        int wanted = (int) Math.max(1, Math.min(MAX_STATUS_DESCRIPTORS, (alloc - 8) / 16));
        StatusWalk walk = new StatusWalk(c, capacity, wanted, (int) Math.min(alloc, Integer.MAX_VALUE));
        walk.next(lba);
    }

    /** Collects provisioning runs from the backend and merges adjacent runs of equal status. */
    private static final class StatusWalk {
        private final Command c;
        private final long capacity;
        private final int wanted;
        private final int alloc;
        private final long[] starts;
        private final long[] lengths;
        private final boolean[] mapped;
        private int count;
        private int queries;

        StatusWalk(Command c, long capacity, int wanted, int alloc) {
            this.c = c;
            this.capacity = capacity;
            this.wanted = wanted;
            this.alloc = alloc;
            this.starts = new long[wanted];
            this.lengths = new long[wanted];
            this.mapped = new boolean[wanted];
        }

        void next(long at) {
            queries++;
            c.provisioning(at, run -> add(at, run));
        }

        private void add(long at, Provisioning run) {
            long end = run.lba() + run.blocks();
            // A run that does not contain "at" would make no progress: treat it as one block.
            long n = (run.lba() <= at && end > at) ? Math.min(end, capacity) - at : 1;
            boolean isMapped = run.mapped();
            int last = count - 1;
            if (last >= 0 && mapped[last] == isMapped && starts[last] + lengths[last] == at
                    && lengths[last] + n <= 0xffffffffL) {
                lengths[last] += n;
            } else if (count < wanted) {
                starts[count] = at;
                lengths[count] = Math.min(n, 0xffffffffL);
                mapped[count] = isMapped;
                n = lengths[count];
                count++;
            } else {
                respond();
                return;
            }
            long nextAt = at + n;
            if (nextAt >= capacity || queries >= MAX_STATUS_QUERIES) {
                respond();
                return;
            }
            next(nextAt);
        }

        private void respond() {
            ByteBuffer b = ByteBuffer.allocate(8 + 16 * count);
            b.putInt(4 + 16 * count); // PARAMETER DATA LENGTH: bytes after this field
            b.putInt(0);
            for (int i = 0; i < count; i++) {
                b.putLong(starts[i]);
                b.putInt((int) lengths[i]);
                // PROVISIONING STATUS: 0 mapped, 1 deallocated (SBC-3, LBA status descriptor).
                b.put((byte) (mapped[i] ? 0 : 1));
                b.put(new byte[3]);
            }
            c.respond(b.array(), b.capacity(), alloc);
        }
    }
}
