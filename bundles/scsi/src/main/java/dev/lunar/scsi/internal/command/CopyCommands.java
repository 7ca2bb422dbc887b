package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.command.CommandFlag.MEDIUM;

import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.sense.SenseEncoder;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.scsi.internal.xcopy.CopyJob;
import dev.lunar.scsi.internal.xcopy.CopyParameterList;
import dev.lunar.scsi.internal.xcopy.CopyParameterList.Cscd;
import dev.lunar.scsi.internal.xcopy.CopyParameterList.Segment;
import dev.lunar.scsi.internal.xcopy.CopyResults;
import dev.lunar.scsi.internal.xcopy.CopySense;
import dev.lunar.spi.backend.Geometry;
import dev.lunar.spi.scsi.Sense;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * EXTENDED COPY (LID1) (SPC-4) between logical units of the same target, RECEIVE COPY
 * RESULTS with COPY STATUS, OPERATING PARAMETERS and FAILED SEGMENT DETAILS, and the
 * Third-party Copy VPD page that advertises them.
 *
 * <p>The copy manager is the device server itself: it runs the segments as backend reads and
 * writes ({@link CopyJob}) and answers the EXTENDED COPY when the last segment is done. Copy
 * targets are named by identification descriptor CSCDs (E4h) carrying the NAA designator a
 * logical unit reports in VPD page 83h.
 */
final class CopyCommands {

    static final int EXTENDED_COPY = 0x83;
    static final int RECEIVE_COPY_RESULTS = 0x84;
    static final int SA_LID1 = 0x00;
    static final int SA_COPY_STATUS = 0x00;
    static final int SA_OPERATING_PARAMETERS = 0x03;
    static final int SA_FAILED_SEGMENT_DETAILS = 0x04;

    /** MAXIMUM SEGMENT LENGTH in bytes: the 16-bit block count at 4096-byte blocks fits. */
    static final int MAX_SEGMENT_BYTES = 256 << 20;
    /** Largest parameter list we take in at all; anything longer cannot be a valid LID1 list. */
    static final int MAX_PARAMETER_LIST_BYTES = 64 << 10;

    private CopyCommands() {
    }

    static void register(CommandTable t) {
        // Not WRITES_MEDIUM: the LU receiving the command may be only the source (a read-only
        // snapshot, say); every destination's write protection is checked per segment instead.
        t.add(EXTENDED_COPY, SA_LID1, "EXTENDED COPY(LID1)", CommandTable.usage(EXTENDED_COPY, SA_LID1, 0, 0, 0, 0, 0,
                0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0x07), CopyCommands::extendedCopy, MEDIUM);
        t.add(RECEIVE_COPY_RESULTS, SA_COPY_STATUS, "RECEIVE COPY RESULTS/COPY STATUS",
                receiveCopyResultsUsage(SA_COPY_STATUS), CopyCommands::copyStatus);
        t.add(RECEIVE_COPY_RESULTS, SA_OPERATING_PARAMETERS, "RECEIVE COPY RESULTS/OPERATING PARAMETERS",
                receiveCopyResultsUsage(SA_OPERATING_PARAMETERS), CopyCommands::operatingParameters);
        t.add(RECEIVE_COPY_RESULTS, SA_FAILED_SEGMENT_DETAILS, "RECEIVE COPY RESULTS/FAILED SEGMENT DETAILS",
                receiveCopyResultsUsage(SA_FAILED_SEGMENT_DETAILS), CopyCommands::failedSegmentDetails);
        t.addVpdPage(0x8f, CopyCommands::thirdPartyCopyPage);
        t.addListener(new LogicalUnitListener() {
            @Override
            public void nexusLost(LogicalUnit lu, ScsiNexus nexus) {
                CopyResults r = lu.extensionIfPresent(CopyResults.class);
                if (r != null) {
                    r.nexusLost(nexus.name());
                }
            }

            @Override
            public void reset(LogicalUnit lu) {
                CopyResults r = lu.extensionIfPresent(CopyResults.class);
                if (r != null) {
                    r.reset();
                }
            }
        });
    }

    /** RECEIVE COPY RESULTS CDB usage: service action, LIST IDENTIFIER, ALLOCATION LENGTH. */
    private static byte[] receiveCopyResultsUsage(int sa) {
        return CommandTable.usage(RECEIVE_COPY_RESULTS, sa, 0xff, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0x07);
    }

    private static CopyResults results(LogicalUnit lu) {
        return lu.extension(CopyResults.class, l -> new CopyResults());
    }

    // ------------------------------------------------------------------ EXTENDED COPY

    private static void extendedCopy(Command c) {
        long length = c.u32(10);
        if (length == 0) { // SPC-4 EXTENDED COPY: no copy, not an error
            c.transferLength(0);
            c.good();
            return;
        }
        if (length > MAX_PARAMETER_LIST_BYTES) {
            c.transferLength(length);
            c.parameterListLengthError();
            return;
        }
        c.receiveParameterList((int) length, p -> {
            CopyParameterList.Parsed parsed = CopyParameterList.parse(p);
            if (parsed.error() != null) {
                c.fail(parsed.error());
                return;
            }
            start(c, parsed.list());
        });
    }

    private static void start(Command c, CopyParameterList list) {
        CopyResults results = results(c.lu());
        if (!results.admit()) {
            c.fail(CopySense.INSUFFICIENT_RESOURCES);
            return;
        }
        c.onFinish(results::release);
        CopyResults.Operation op = null;
        String nexus = c.nexus().name();
        if (list.listIdUsage() != CopyParameterList.NO_LIST_ID) {
            op = results.begin(nexus, list.listId(), list.listIdUsage() == CopyParameterList.HOLD_RESULTS);
            if (op == null) {
                c.fail(CopySense.OPERATION_IN_PROGRESS);
                return;
            }
            CopyResults.Operation started = op;
            c.onFinish(() -> {
                started.finish(false, null); // no-op when it already finished well or with a known sense
                results.ended(nexus, list.listId(), started);
            });
        }
        List<CopyJob.Step> steps = new ArrayList<>();
        for (Segment s : list.segments()) {
            Object resolved = resolve(c, list, s);
            if (resolved instanceof Sense failure) {
                if (op != null) {
                    op.finish(false, failure);
                }
                c.fail(failure);
                return;
            }
            steps.add((CopyJob.Step) resolved);
        }
        CopyResults.Operation operation = op;
        CopyJob job = new CopyJob(c, steps, operation, () -> {
            if (operation != null) {
                operation.finish(true, null);
            }
            c.good();
        });
        lockDestinations(c, steps, job::start);
    }

    /**
     * Takes the {@link LbaRangeLocks} lock over the span of all destination ranges when they are
     * on one logical unit, so a COMPARE AND WRITE or ORWRITE there is atomic against the copy too.
     * A command may hold only one range lock (that is what keeps the locks deadlock-free), so a
     * copy writing to several logical units runs unlocked.
     */
    private static void lockDestinations(Command c, List<CopyJob.Step> steps, Runnable then) {
        LogicalUnit dst = null;
        long first = Long.MAX_VALUE;
        long end = 0;
        for (CopyJob.Step s : steps) {
            if (dst != null && s.destination() != dst) {
                then.run();
                return;
            }
            dst = s.destination();
            if (s.segment().blocks() > 0) {
                first = Math.min(first, s.segment().destinationLba());
                end = Math.max(end, s.segment().destinationLba() + s.segment().blocks());
            }
        }
        if (dst == null || end == 0) {
            then.run();
            return;
        }
        LbaRangeLocks.of(dst).acquire(c, first, end - first, then);
    }

    /** The segment with its copy targets, or the sense that refuses it (SPC-4, segment descriptors). */
    private static Object resolve(Command c, CopyParameterList list, Segment s) {
        Object source = copyTarget(c, list, s.source(), s, Segment.SOURCE_INDEX_AT);
        if (source instanceof Sense) {
            return source;
        }
        Object destination = copyTarget(c, list, s.destination(), s, Segment.DESTINATION_INDEX_AT);
        if (destination instanceof Sense) {
            return destination;
        }
        LogicalUnit src = (LogicalUnit) source;
        LogicalUnit dst = (LogicalUnit) destination;
        Geometry sg = src.geometry();
        Geometry dg = dst.geometry();
        if (sg.blockSize() != dg.blockSize()) {
            return CopySense.inSegment(CopySense.INCORRECT_TARGET_TYPE, Segment.DESTINATION_INDEX_AT);
        }
        if (s.blocks() > MAX_SEGMENT_BYTES / sg.blockSize()) {
            return CopySense.inSegment(CopySense.SEGMENT_REFUSED, 10);
        }
        if (!fits(s.sourceLba(), s.blocks(), sg)) {
            return CopySense.inSegment(CopySense.SEGMENT_REFUSED, Segment.SOURCE_LBA_AT);
        }
        if (!fits(s.destinationLba(), s.blocks(), dg)) {
            return CopySense.inSegment(CopySense.SEGMENT_REFUSED, Segment.DESTINATION_LBA_AT);
        }
        if (dst == c.lu() ? c.writeProtected() : dst.writeProtected() || c.nexus().readOnly()) {
            return Sense.WRITE_PROTECTED;
        }
        return new CopyJob.Step(s, src, dst);
    }

    private static boolean fits(long lba, long blocks, Geometry g) {
        return lba >= 0 && lba <= g.blockCount() && blocks <= g.blockCount() - lba;
    }

    /** The logical unit a segment's CSCD index names, or COPY ABORTED when there is none. */
    private static Object copyTarget(Command c, CopyParameterList list, int index, Segment s, int fieldAt) {
        Sense unreachable = CopySense.inSegment(CopySense.TARGET_NOT_REACHABLE, fieldAt);
        if (index >= list.cscds().size()) {
            return unreachable;
        }
        Cscd d = list.cscds().get(index);
        if (d.nul()) {
            return unreachable;
        }
        if (d.peripheralType() != 0) { // a block-to-block segment needs block devices
            return CopySense.inSegment(CopySense.INCORRECT_TARGET_TYPE, fieldAt);
        }
        for (LogicalUnit lu : c.nexus().logicalUnits()) { // never a LUN the ACL hides
            if (d.names(lu.identity().naa())) {
                Geometry g = lu.geometry();
                if (lu.device() == null || g == null) {
                    return unreachable;
                }
                if (d.blockLength() != 0 && d.blockLength() != g.blockSize()) {
                    return CopySense.inSegment(CopySense.INCORRECT_TARGET_TYPE, fieldAt);
                }
                return lu;
            }
        }
        return unreachable;
    }

    // ------------------------------------------------------------------ RECEIVE COPY RESULTS

    private static void copyStatus(Command c) {
        CopyResults.Operation op = results(c.lu()).find(c.nexus().name(), c.u8(2));
        if (op == null) { // no such copy for this I_T nexus (SPC-4 RECEIVE COPY RESULTS, COPY STATUS)
            c.invalidField(2, -1);
            return;
        }
        long bytes = op.bytesTransferred();
        int units = 0;
        while (bytes > 0xffffffffL) { // TRANSFER COUNT UNITS: bytes, KiB, MiB, ... (SPC-4 COPY STATUS)
            bytes >>>= 10;
            units++;
        }
        ByteBuffer b = ByteBuffer.allocate(12);
        b.putInt(8);
        b.put((byte) op.status()); // HDD = 0: we hold no data
        b.putShort((short) Math.min(op.segmentsProcessed(), 0xffff));
        b.put((byte) units);
        b.putInt((int) bytes);
        c.respond(b.array(), 12, (int) Math.min(c.u32(10), Integer.MAX_VALUE));
    }

    private static void operatingParameters(Command c) {
        byte[] codes = {CopyParameterList.SEGMENT_BLOCK_TO_BLOCK, (byte) CopyParameterList.CSCD_IDENTIFICATION};
        ByteBuffer b = ByteBuffer.allocate(44 + codes.length);
        b.putInt(b.capacity() - 4); // AVAILABLE DATA
        b.put((byte) 0x01); // SNLID: LIST ID USAGE 11b (no list identifier) is supported
        b.put(new byte[3]);
        b.putShort((short) CopyParameterList.MAX_CSCD_DESCRIPTORS);
        b.putShort((short) CopyParameterList.MAX_SEGMENT_DESCRIPTORS);
        b.putInt(CopyParameterList.MAX_DESCRIPTOR_LIST_BYTES);
        b.putInt(MAX_SEGMENT_BYTES);
        b.putInt(0); // MAXIMUM INLINE DATA LENGTH
        b.putInt(0); // HELD DATA LIMIT: no segment holds data
        b.putInt(0); // MAXIMUM STREAM DEVICE TRANSFER SIZE: no stream devices
        b.putShort((short) 0);
        b.putShort((short) CopyResults.MAX_CONCURRENT); // TOTAL CONCURRENT COPIES
        b.put((byte) CopyResults.MAX_CONCURRENT); // MAXIMUM CONCURRENT COPIES
        b.put((byte) dataSegmentGranularity(c));
        b.put((byte) 0); // INLINE DATA GRANULARITY
        b.put((byte) 0); // HELD DATA GRANULARITY
        b.put(new byte[3]);
        b.put((byte) codes.length); // IMPLEMENTED DESCRIPTOR LIST LENGTH
        b.put(codes);
        c.respond(b.array(), b.capacity(), (int) Math.min(c.u32(10), Integer.MAX_VALUE));
    }

    /** log2 of the smallest unit a segment copies: the logical block. */
    private static int dataSegmentGranularity(Command c) {
        Geometry g = c.lu().geometry();
        return g == null ? 9 : Integer.numberOfTrailingZeros(g.blockSize());
    }

    private static void failedSegmentDetails(Command c) {
        CopyResults.Operation op = results(c.lu()).find(c.nexus().name(), c.u8(2));
        if (op == null) {
            c.invalidField(2, -1);
            return;
        }
        int alloc = (int) Math.min(c.u32(10), Integer.MAX_VALUE);
        if (op.status() == CopyResults.IN_PROGRESS) { // nothing to report yet (SPC-4, FAILED SEGMENT DETAILS)
            c.respond(new byte[4], 4, alloc);
            return;
        }
        Sense failure = op.failure();
        byte[] sense = failure == null ? new byte[0] : SenseEncoder.fixed(failure);
        ByteBuffer b = ByteBuffer.allocate(60 + sense.length);
        b.putInt(b.capacity() - 4);
        b.position(56);
        // COPY COMMAND STATUS: the status the EXTENDED COPY ended with.
        b.put((byte) (op.status() == CopyResults.COMPLETED_GOOD ? 0x00 : 0x02));
        b.put((byte) 0);
        b.putShort((short) sense.length);
        b.put(sense);
        c.respond(b.array(), b.capacity(), alloc);
    }

    // ------------------------------------------------------------------ VPD 8Fh

    /** Third-party Copy VPD page body (SPC-4): what EXTENDED COPY (LID1) supports. */
    static byte[] thirdPartyCopyPage(Command c, LogicalUnit lu) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // Supported Commands (0001h): 83h/00h, 84h/00h, 03h, 04h.
        byte[] commands = {(byte) EXTENDED_COPY, 1, SA_LID1,
            (byte) RECEIVE_COPY_RESULTS, 3, SA_COPY_STATUS, SA_OPERATING_PARAMETERS, SA_FAILED_SEGMENT_DETAILS};
        ByteBuffer sc = ByteBuffer.allocate(1 + commands.length);
        sc.put((byte) commands.length).put(commands);
        descriptor(out, 0x0001, sc.array());
        // Parameter Data (0004h).
        ByteBuffer pd = ByteBuffer.allocate(0x1c);
        pd.putShort(2, (short) CopyParameterList.MAX_CSCD_DESCRIPTORS);
        pd.putShort(4, (short) CopyParameterList.MAX_SEGMENT_DESCRIPTORS);
        pd.putInt(6, CopyParameterList.MAX_DESCRIPTOR_LIST_BYTES);
        pd.putInt(10, 0); // MAXIMUM INLINE DATA LENGTH
        descriptor(out, 0x0004, pd.array());
        // Supported Descriptors (0008h): block-to-block segments, identification CSCDs.
        descriptor(out, 0x0008, new byte[] {2, CopyParameterList.SEGMENT_BLOCK_TO_BLOCK,
            (byte) CopyParameterList.CSCD_IDENTIFICATION});
        // Supported CSCD Descriptor IDs (000Ch): none (no ID-coded CSCDs such as 0000h).
        descriptor(out, 0x000c, new byte[] {0, 0});
        // General Copy Operations (0106h).
        ByteBuffer gc = ByteBuffer.allocate(0x20);
        gc.putInt(0, CopyResults.MAX_CONCURRENT); // TOTAL CONCURRENT COPIES
        gc.putInt(4, CopyResults.MAX_CONCURRENT); // MAXIMUM IDENTIFIED CONCURRENT COPIES
        gc.putInt(8, MAX_SEGMENT_BYTES);
        Geometry g = lu.geometry();
        gc.put(12, (byte) (g == null ? 9 : Integer.numberOfTrailingZeros(g.blockSize()))); // DATA SEGMENT GRANULARITY
        gc.put(13, (byte) 0); // INLINE DATA GRANULARITY
        descriptor(out, 0x0106, gc.array());
        return out.toByteArray();
    }

    /** One third-party copy descriptor: type, length, body padded to a multiple of four. */
    private static void descriptor(ByteArrayOutputStream out, int type, byte[] body) {
        int padded = (body.length + 3) & ~3;
        out.write(type >>> 8);
        out.write(type);
        out.write(padded >>> 8);
        out.write(padded);
        out.writeBytes(body);
        out.writeBytes(new byte[padded - body.length]);
    }
}
