package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.command.CommandTable.usage;

import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.spi.backend.Geometry;
import dev.lunar.spi.backend.Provisioning;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * LOG SENSE and LOG SELECT (SPC-4). Pages: Supported Log Pages (00h/00h), Supported
 * Log Pages and Subpages (00h/FFh), Logical Block Provisioning (0Ch, SBC-3, where the LU
 * manages provisioning), Temperature (0Dh) and Informational Exceptions (2Fh). A virtual disk has
 * no thermometer: temperatures are reported as FFh, "not available", as SPC-4 provides for.
 * Nothing is saved and no parameter is changeable, so SP = 1 and LOG SELECT parameter data are
 * refused; a LOG SELECT that only resets counters succeeds (there are none to reset).
 */
final class LogCommands {

    static final int PAGE_SUPPORTED = 0x00;
    static final int SUBPAGE_ALL = 0xff;
    static final int PAGE_LOGICAL_BLOCK_PROVISIONING = 0x0c;
    static final int PAGE_TEMPERATURE = 0x0d;
    static final int PAGE_INFORMATIONAL_EXCEPTIONS = 0x2f;

    /** Log parameter control byte: FORMAT AND LINKING 11b (binary list, SPC-4 log parameter control byte). */
    private static final int BINARY = 0x03;
    /** TEMPERATURE FFh: no temperature is available (SPC-4 Temperature log page). */
    private static final int NO_TEMPERATURE = 0xff;
    /**
     * Provisioning runs LOG SENSE walks to count mapped blocks; beyond this (a badly fragmented
     * huge LU) the counts are left out rather than keep the command running.
     */
    static final int MAX_PROVISIONING_QUERIES = 65536;

    private final CommandTable table;

    private LogCommands(CommandTable table) {
        this.table = table;
    }

    static void register(CommandTable t) {
        LogCommands l = new LogCommands(t);
        t.add(0x4d, "LOG SENSE", usage(0x4d, 0x03, 0xff, 0xff, 0, 0xff, 0xff, 0xff, 0xff, 0x07), l::logSense);
        t.add(0x4c, "LOG SELECT", usage(0x4c, 0x03, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07), LogCommands::logSelect);
    }

    /** One log parameter, already encoded (code, control, length, value). */
    private record Parameter(int code, byte[] encoded) {
        static Parameter of(int code, byte[] value) {
            byte[] b = new byte[4 + value.length];
            b[0] = (byte) (code >>> 8);
            b[1] = (byte) code;
            b[2] = BINARY;
            b[3] = (byte) value.length;
            System.arraycopy(value, 0, b, 4, value.length);
            return new Parameter(code, b);
        }
    }

    private void logSense(Command c) {
        if (c.bit(1, 1)) {
            c.invalidField(1, 1); // PPC: no parameter change tracking
            return;
        }
        if (c.bit(1, 0)) {
            c.invalidField(1, 0); // SP: nothing is saved
            return;
        }
        int pc = c.bits(2, 6, 2);
        int page = c.bits(2, 0, 6);
        int subpage = c.u8(3);
        int pointer = c.u16(5);
        int alloc = c.u16(7);
        LogicalUnit lu = c.lu();
        boolean provisioning = provisioningPage(lu);
        if (page == PAGE_SUPPORTED && (subpage == 0 || subpage == SUBPAGE_ALL)) {
            if (pointer != 0) {
                c.invalidField(5, -1);
                return;
            }
            byte[] body = subpage == 0 ? supportedPages(provisioning) : supportedSubpages(provisioning);
            respond(c, page, subpage, body, alloc);
            return;
        }
        if (subpage != 0) {
            c.invalidField(3, -1);
            return;
        }
        Consumer<List<Parameter>> send = params -> {
            List<Parameter> out = new ArrayList<>();
            int highest = -1;
            for (Parameter p : params) {
                highest = Math.max(highest, p.code());
                if (p.code() >= pointer) {
                    out.add(p);
                }
            }
            if (pointer > highest && pointer != 0) {
                c.invalidField(5, -1);
                return;
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            out.forEach(p -> body.writeBytes(p.encoded()));
            respond(c, page, 0, body.toByteArray(), alloc);
        };
        switch (page) {
            case PAGE_LOGICAL_BLOCK_PROVISIONING -> {
                if (!provisioning) {
                    c.invalidField(2, 5);
                    return;
                }
                logicalBlockProvisioning(c, pc, send);
            }
            case PAGE_TEMPERATURE -> send.accept(List.of(
                    Parameter.of(0x0000, new byte[] {0, (byte) NO_TEMPERATURE}),
                    Parameter.of(0x0001, new byte[] {0, (byte) NO_TEMPERATURE})));
            case PAGE_INFORMATIONAL_EXCEPTIONS -> send.accept(List.of(
                    // No failure is predicted: IE ASC/ASCQ 00h/00h (SPC-4 Informational Exceptions
                    // log page).
                    Parameter.of(0x0000, new byte[] {0, 0, (byte) NO_TEMPERATURE})));
            default -> c.invalidField(2, 5);
        }
    }

    private boolean provisioningPage(LogicalUnit lu) {
        Geometry g = lu.geometry();
        return g != null && lu.device() != null && BlockLimits.provisioningManaged(g, table);
    }

    private static byte[] supportedPages(boolean provisioning) {
        return provisioning
                ? new byte[] {PAGE_SUPPORTED, PAGE_LOGICAL_BLOCK_PROVISIONING, PAGE_TEMPERATURE,
                        PAGE_INFORMATIONAL_EXCEPTIONS}
                : new byte[] {PAGE_SUPPORTED, PAGE_TEMPERATURE, PAGE_INFORMATIONAL_EXCEPTIONS};
    }

    private static byte[] supportedSubpages(boolean provisioning) {
        byte[] pages = supportedPages(provisioning);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(PAGE_SUPPORTED);
        b.write(0);
        b.write(PAGE_SUPPORTED);
        b.write(SUBPAGE_ALL);
        for (int i = 1; i < pages.length; i++) {
            b.write(pages[i]);
            b.write(0);
        }
        return b.toByteArray();
    }

    /** Page header: DS = 1 (not saveable), SPF for a subpage, code, subpage, length. */
    private static void respond(Command c, int page, int subpage, byte[] body, int alloc) {
        byte[] b = new byte[4 + body.length];
        b[0] = (byte) (0x80 | (subpage != 0 ? 0x40 : 0) | page);
        b[1] = (byte) subpage;
        b[2] = (byte) (body.length >>> 8);
        b[3] = (byte) body.length;
        System.arraycopy(body, 0, b, 4, body.length);
        c.respond(b, b.length, alloc);
    }

    /**
     * SBC-3 Logical Block Provisioning log page: AVAILABLE (0001h) and USED (0002h) LBA MAPPING
     * RESOURCE COUNT, in blocks (THRESHOLD EXPONENT 0), scope 01b (dedicated to this LU). USED is
     * counted by walking the backend's provisioning runs; AVAILABLE is what the LU's capacity still
     * lets it map (the backend does not report its pool). Threshold values (PC 00b/10b) are zero:
     * no thresholds.
     */
    private static void logicalBlockProvisioning(Command c, int pc, Consumer<List<Parameter>> send) {
        Geometry g = c.geometry();
        boolean thresholds = pc == 0 || pc == 2;
        long[] used = new long[1];
        long[] next = new long[1];
        int[] queries = new int[1];
        StepLoop[] loop = new StepLoop[1];
        loop[0] = new StepLoop(() -> {
            if (next[0] >= g.blockCount() || queries[0] >= MAX_PROVISIONING_QUERIES) {
                if (next[0] < g.blockCount()) {
                    send.accept(List.of()); // too fragmented to count in time: no counts
                    return;
                }
                long u = thresholds ? 0 : used[0];
                long available = thresholds ? 0 : g.blockCount() - used[0];
                send.accept(List.of(Parameter.of(0x0001, count(available)), Parameter.of(0x0002, count(u))));
                return;
            }
            queries[0]++;
            c.provisioning(next[0], (Provisioning p) -> {
                long end = Math.min(g.blockCount(), Math.max(p.lba() + p.blocks(), next[0] + 1));
                if (p.mapped()) {
                    used[0] += end - next[0];
                }
                next[0] = end;
                loop[0].next();
            });
        });
        loop[0].next();
    }

    private static byte[] count(long blocks) {
        long v = Math.min(blocks, 0xffffffffL);
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v, 0x01, 0, 0, 0};
    }

    /** LOG SELECT: nothing is changeable or saved; a bare counter reset succeeds. */
    private static void logSelect(Command c) {
        if (c.bit(1, 0)) {
            c.invalidField(1, 0);
            return;
        }
        int length = c.u16(7);
        if (length == 0) {
            c.good();
            return;
        }
        if (c.bit(1, 1)) {
            c.invalidField(1, 1); // PCR with parameters (SPC-4 LOG SELECT)
            return;
        }
        c.receiveParameterList(length, data -> c.invalidParameter(0, -1));
    }
}
