package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.command.CommandFlag.NO_UNIT_ATTENTION;
import static dev.lunar.scsi.internal.command.CommandFlag.WITHOUT_LOGICAL_UNIT;

import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.backend.Geometry;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/** INQUIRY (SPC-4 §6.6): standard data and the vital product data pages. */
final class InquiryCommands {

    static final String VENDOR = "LUNAR";
    static final String PRODUCT = "Lunar disk";
    static final String REVISION = "0001";

    /** Peripheral device type 00h (direct access block device, SBC-3). */
    static final int DIRECT_ACCESS = 0x00;
    /** Peripheral qualifier 011b + type 1Fh: no logical unit here (SPC-4 §6.6.2). */
    static final int NO_LOGICAL_UNIT = 0x7f;

    /** Version descriptors (SPC-4 table 144): SAM-5, SPC-4, SBC-3, iSCSI (no version). */
    static final int[] VERSION_DESCRIPTORS = {0x00a0, 0x0460, 0x04c0, 0x0960};

    /** iSCSI's PROTOCOL IDENTIFIER (SPC-4 table 362). */
    static final int PROTOCOL_ISCSI = 0x5;

    private final CommandTable table;
    /** VPD page code -> builder, in the order page 00h lists them. */
    private final Map<Integer, BiFunction<Command, LogicalUnit, byte[]>> vpd = new LinkedHashMap<>();

    private InquiryCommands(CommandTable table) {
        this.table = table;
        vpd.put(0x00, this::supportedPages);
        vpd.put(0x80, this::unitSerialNumber);
        vpd.put(0x83, this::deviceIdentification);
        vpd.put(0x86, this::extendedInquiry);
        vpd.put(0x87, this::modePagePolicy);
        vpd.put(0x88, this::scsiPorts);
        vpd.put(0xb0, this::blockLimits);
        vpd.put(0xb1, this::blockDeviceCharacteristics);
        vpd.put(0xb2, this::logicalBlockProvisioning);
    }

    static void register(CommandTable t) {
        InquiryCommands inquiry = new InquiryCommands(t);
        t.add(0x12, "INQUIRY", CommandTable.usage(0x12, 0x03, 0xff, 0xff, 0xff, 0x07), inquiry::inquiry, NO_UNIT_ATTENTION, WITHOUT_LOGICAL_UNIT);
    }

    private void inquiry(Command c) {
        boolean evpd = c.bit(1, 0);
        boolean cmddt = c.bit(1, 1);
        int page = c.u8(2);
        int alloc = c.u16(3);
        if (cmddt) {
            // CMDDT is obsolete (SPC-4 §6.6.1).
            c.invalidField(1, 1);
            return;
        }
        if (!evpd) {
            if (page != 0) {
                c.invalidField(2, -1);
                return;
            }
            byte[] data = standard(c);
            c.respond(data, data.length, alloc);
            return;
        }
        BiFunction<Command, LogicalUnit, byte[]> builder = vpd.get(page);
        VpdPage extra = table.vpdPages().get(page);
        if (builder == null && extra != null) {
            builder = (cmd, unit) -> page(page, extra.body(cmd, unit));
        }
        LogicalUnit lu = c.lu();
        if (builder == null || lu == null) {
            c.invalidField(2, -1);
            return;
        }
        byte[] data = builder.apply(c, lu);
        c.respond(data, data.length, alloc);
    }

    /** Standard INQUIRY data (SPC-4 §6.6.2), 74 bytes ending with the version descriptors. */
    private byte[] standard(Command c) {
        byte[] b = new byte[74];
        b[0] = (byte) (c.lu() == null ? NO_LOGICAL_UNIT : DIRECT_ACCESS);
        // RMB: removable medium where the admin configured the LUN so (START STOP UNIT may eject).
        b[1] = (byte) (c.lu() != null && c.lu().removable() ? 0x80 : 0);
        b[2] = 0x06; // VERSION: SPC-4
        b[3] = 0x12; // HISUP = 1, RESPONSE DATA FORMAT = 2 (NORMACA = 0: no ACA)
        b[4] = (byte) (b.length - 5);
        // TPGS = 01b: implicit ALUA only (SPC-4 §5.16); 3PC when EXTENDED COPY is there.
        b[5] = (byte) (0x10 | (table.supports(0x83) ? 0x08 : 0));
        b[6] = 0;
        b[7] = 0x02; // CMDQUE: full task management model
        ascii(b, 8, 8, VENDOR);
        ascii(b, 16, 16, PRODUCT);
        ascii(b, 32, 4, REVISION);
        for (int i = 0; i < VERSION_DESCRIPTORS.length; i++) {
            b[58 + 2 * i] = (byte) (VERSION_DESCRIPTORS[i] >>> 8);
            b[59 + 2 * i] = (byte) VERSION_DESCRIPTORS[i];
        }
        return b;
    }

    /** A VPD page: 4-byte header (SPC-4 §7.8.1) and {@code body}. */
    private static byte[] page(int code, byte[] body) {
        byte[] b = new byte[4 + body.length];
        b[0] = DIRECT_ACCESS;
        b[1] = (byte) code;
        b[2] = (byte) (body.length >>> 8);
        b[3] = (byte) body.length;
        System.arraycopy(body, 0, b, 4, body.length);
        return b;
    }

    /** Supported VPD Pages (SPC-4 §7.8.13), in ascending order, with the families' pages. */
    private byte[] supportedPages(Command c, LogicalUnit lu) {
        java.util.TreeSet<Integer> codes = new java.util.TreeSet<>(vpd.keySet());
        codes.addAll(table.vpdPages().keySet());
        byte[] body = new byte[codes.size()];
        int i = 0;
        for (int code : codes) {
            body[i++] = (byte) code;
        }
        return page(0x00, body);
    }

    private byte[] unitSerialNumber(Command c, LogicalUnit lu) {
        return page(0x80, lu.identity().serial().getBytes(StandardCharsets.US_ASCII));
    }

    /** Device Identification (SPC-4 §7.8.6): LU names, then the target port's and device's. */
    private byte[] deviceIdentification(Command c, LogicalUnit lu) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ScsiNexus n = c.nexus();
        // NAA (locally assigned), binary, associated with the LU.
        designator(out, 0, 0x1, 0, 0x3, lu.identity().naa());
        // T10 vendor ID based: vendor then the serial number, ASCII.
        byte[] t10 = new byte[8 + lu.identity().serial().length()];
        ascii(t10, 0, 8, VENDOR);
        ascii(t10, 8, t10.length - 8, lu.identity().serial());
        designator(out, 0, 0x2, 0, 0x1, t10);
        // Relative target port identifier, associated with the target port.
        designator(out, PROTOCOL_ISCSI, 0x1, 1, 0x4, u32(n.relativeTargetPortId()));
        // Target port group: the port's tpgt, as in REPORT TARGET PORT GROUPS (PortGroups).
        designator(out, PROTOCOL_ISCSI, 0x1, 1, 0x5, u32(n.targetPortGroup()));
        // SCSI name strings of the target port and the target device (UTF-8, NUL padded to 4).
        designator(out, PROTOCOL_ISCSI, 0x3, 1, 0x8, scsiName(n.targetPort()));
        designator(out, PROTOCOL_ISCSI, 0x3, 2, 0x8, scsiName(n.target().name()));
        return page(0x83, out.toByteArray());
    }

    /**
     * One identification descriptor (SPC-4 §7.8.6.1). A non-zero protocol sets PIV, which SPC-4
     * allows only for target port and target device associations.
     */
    private static void designator(ByteArrayOutputStream out, int protocol, int codeSet, int association,
            int type, byte[] value) {
        out.write((protocol << 4) | codeSet);
        out.write((association != 0 && protocol != 0 ? 0x80 : 0) | (association << 4) | type);
        out.write(0);
        out.write(value.length);
        out.writeBytes(value);
    }

    /** A SCSI name string: NUL terminated, padded with NULs to a multiple of 4 (SPC-4 §7.8.6.11). */
    static byte[] scsiName(String name) {
        byte[] s = name.getBytes(StandardCharsets.UTF_8);
        int len = (s.length + 1 + 3) & ~3;
        byte[] b = new byte[Math.min(len, 252)];
        System.arraycopy(s, 0, b, 0, Math.min(s.length, b.length - 1));
        return b;
    }

    /** Extended INQUIRY Data (SPC-4 §7.8.7). */
    private byte[] extendedInquiry(Command c, LogicalUnit lu) {
        byte[] body = new byte[0x3c];
        body[1] = 0x07; // HEADSUP, ORDSUP, SIMPSUP: all three task attributes are honoured
        body[2] = 0x01; // V_SUP: a volatile cache may exist (WCE)
        return page(0x86, body);
    }

    /** Mode Page Policy (SPC-4 §7.8.9): every page shared by all I_T nexuses. */
    private byte[] modePagePolicy(Command c, LogicalUnit lu) {
        return page(0x87, new byte[] {0x3f, (byte) 0xff, 0x00, 0x00});
    }

    /** SCSI Ports (SPC-4 §7.8.10): the port this nexus uses, named by its SCSI name string. */
    private byte[] scsiPorts(Command c, LogicalUnit lu) {
        ByteArrayOutputStream desc = new ByteArrayOutputStream();
        designator(desc, PROTOCOL_ISCSI, 0x3, 1, 0x8, scsiName(c.nexus().targetPort()));
        byte[] targetDescriptors = desc.toByteArray();
        ByteBuffer b = ByteBuffer.allocate(12 + targetDescriptors.length);
        b.putShort((short) 0);
        b.putShort((short) c.nexus().relativeTargetPortId());
        b.putShort((short) 0);
        b.putShort((short) 0); // no initiator port TransportID
        b.putShort((short) 0);
        b.putShort((short) targetDescriptors.length);
        b.put(targetDescriptors);
        return page(0x88, b.array());
    }

    /** Block Limits (SBC-3 §6.6.3); consistent with what READ/WRITE and the other commands enforce. */
    private byte[] blockLimits(Command c, LogicalUnit lu) {
        ByteBuffer b = ByteBuffer.allocate(0x3c);
        Geometry g = lu.geometry();
        if (g == null) {
            return page(0xb0, b.array());
        }
        // WSNZ = 0: WRITE SAME with NUMBER OF LOGICAL BLOCKS 0 writes to the end of the LU.
        b.put(1, (byte) (table.supports(0x89) ? BlockLimits.MAX_COMPARE_AND_WRITE_BLOCKS : 0));
        b.putShort(2, (short) BlockLimits.optimalGranularity(g));
        b.putInt(4, BlockLimits.maxTransferBlocks(g));
        b.putInt(8, Math.max(g.optimalTransferBlocks(), 1 << g.physicalBlockExponent()));
        b.putInt(12, 0); // MAXIMUM PREFETCH LENGTH: set by PRE-FETCH when it exists
        if (table.supports(0x90)) {
            b.putInt(12, BlockLimits.maxTransferBlocks(g));
        }
        boolean unmap = BlockLimits.unmapSupported(g) && table.supports(0x42);
        if (unmap) {
            b.putInt(16, (int) BlockLimits.maxUnmapBlocks(g));
            b.putInt(20, BlockLimits.MAX_UNMAP_DESCRIPTORS);
            b.putInt(24, g.unmapGranularityBlocks());
            b.putInt(28, 0x80000000 | g.unmapAlignmentBlocks()); // UGAVALID
        }
        if (table.supports(0x93) || table.supports(0x41)) {
            b.putLong(32, BlockLimits.MAX_WRITE_SAME_BLOCKS);
        }
        if (table.supports(0x9c)) {
            b.putInt(40, BlockLimits.MAX_ATOMIC_BLOCKS);
            b.putInt(44, 0);
            b.putInt(48, 1);
        }
        return page(0xb0, b.array());
    }

    /** Block Device Characteristics (SBC-3 §6.6.2). */
    private byte[] blockDeviceCharacteristics(Command c, LogicalUnit lu) {
        byte[] body = new byte[0x3c];
        Geometry g = lu.geometry();
        int rate = g == null ? 0 : g.rotationRate();
        body[0] = (byte) (rate >>> 8);
        body[1] = (byte) rate;
        if (g != null && BlockLimits.unmapSupported(g) && table.supports(MaintenanceCommands.SANITIZE)) {
            // WABEREQ 01b (SBC-4 Block Device Characteristics): BLOCK ERASE deallocates, and a
            // read of an erased block returns GOOD with data (zeros or the backend's pattern).
            body[3] |= 0x40;
        }
        return page(0xb1, body);
    }

    /** Logical Block Provisioning (SBC-3 §6.6.4); agrees with LBPME/LBPRZ of READ CAPACITY(16). */
    private byte[] logicalBlockProvisioning(Command c, LogicalUnit lu) {
        byte[] body = new byte[4];
        Geometry g = lu.geometry();
        if (g != null) {
            boolean unmap = BlockLimits.unmapSupported(g);
            int flags = 0;
            if (unmap && table.supports(0x42)) {
                flags |= 0x80; // LBPU
            }
            if (unmap && table.supports(0x93)) {
                flags |= 0x40; // LBPWS
            }
            if (unmap && table.supports(0x41)) {
                flags |= 0x20; // LBPWS10
            }
            if (lbprz(g)) {
                flags |= 0x04; // LBPRZ: unmapped blocks read as zeros
            }
            body[1] = (byte) flags;
            // PROVISIONING TYPE: 000b fully provisioned, 001b resource provisioned, 010b thin.
            if (BlockLimits.provisioningManaged(g, table)) {
                body[2] = (byte) (g.thinProvisioned() ? 0x02 : 0x01);
            }
        }
        return page(0xb2, body);
    }

    /** LBPRZ as READ CAPACITY(16) and VPD B2h report it. */
    static boolean lbprz(Geometry g) {
        return BlockLimits.unmapSupported(g);
    }

    private static byte[] u32(int v) {
        return ByteBuffer.allocate(4).putInt(v).array();
    }

    /** ASCII, left aligned, space padded (SPC-4 §4.4.1). */
    static void ascii(byte[] b, int off, int len, String s) {
        for (int i = 0; i < len; i++) {
            b[off + i] = (byte) (i < s.length() ? s.charAt(i) : ' ');
        }
    }
}
