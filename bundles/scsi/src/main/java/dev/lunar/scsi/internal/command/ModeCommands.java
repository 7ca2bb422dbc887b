package dev.lunar.scsi.internal.command;

import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.lun.ModePage;
import dev.lunar.scsi.internal.lun.ModePages;
import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.spi.backend.Geometry;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** MODE SENSE(6/10) and MODE SELECT(6/10) (SPC-4 §6.9-6.12, §7.5). */
final class ModeCommands {

    static final int ALL_PAGES = 0x3f;
    static final int ALL_SUBPAGES = 0xff;

    /** Page control values (SPC-4 MODE SENSE(6), PC field). */
    static final int PC_CURRENT = 0;
    static final int PC_CHANGEABLE = 1;
    static final int PC_DEFAULT = 2;
    static final int PC_SAVED = 3;

    private ModeCommands() {
    }

    static void register(CommandTable t) {
        t.add(0x1a, "MODE SENSE(6)", CommandTable.usage(0x1a, 0x08, 0xff, 0xff, 0xff, 0x07), c -> modeSense(c, false));
        t.add(0x5a, "MODE SENSE(10)", CommandTable.usage(0x5a, 0x18, 0xff, 0xff, 0, 0, 0, 0xff, 0xff, 0x07),
                c -> modeSense(c, true));
        t.add(0x15, "MODE SELECT(6)", CommandTable.usage(0x15, 0x11, 0, 0, 0xff, 0x07), c -> modeSelect(c, false));
        t.add(0x55, "MODE SELECT(10)", CommandTable.usage(0x55, 0x11, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07),
                c -> modeSelect(c, true));
    }

    // ------------------------------------------------------------------ MODE SENSE

    private static void modeSense(Command c, boolean ten) {
        boolean dbd = c.bit(1, 3);
        boolean llbaa = ten && c.bit(1, 4);
        int pc = c.bits(2, 6, 2);
        int pageCode = c.bits(2, 0, 6);
        int subpage = c.u8(3);
        int alloc = ten ? c.u16(7) : c.u8(4);
        LogicalUnit lu = c.lu();
        ModePages mp = lu.modePages();

        List<ModePage> selected = new ArrayList<>();
        for (ModePage p : mp.pages()) {
            boolean pageMatches = pageCode == ALL_PAGES || p.page() == pageCode;
            boolean subMatches = subpage == ALL_SUBPAGES || p.subpage() == subpage;
            if (pageMatches && subMatches) {
                selected.add(p);
            }
        }
        if (selected.isEmpty()) {
            // Unknown page, or a subpage that page does not have (SPC-4 §6.11).
            c.invalidField(subpage != 0 && findPage(mp, pageCode) ? 3 : 2, subpage != 0 && findPage(mp, pageCode) ? -1 : 5);
            return;
        }
        ByteArrayOutputStream pages = new ByteArrayOutputStream();
        for (ModePage p : selected) {
            pages.writeBytes(values(mp, p, pc));
        }
        byte[] blockDescriptor = dbd ? new byte[0] : blockDescriptor(lu.geometry(), llbaa);
        int deviceSpecific = (c.writeProtected() ? 0x80 : 0) | 0x10; // WP, DPOFUA (SBC-3 §6.5.1)
        int headerLen = ten ? 8 : 4;
        int total = headerLen + blockDescriptor.length + pages.size();
        ByteBuffer b = ByteBuffer.allocate(total);
        if (ten) {
            b.putShort((short) (total - 2));
            b.put((byte) 0);
            b.put((byte) deviceSpecific);
            b.put((byte) (blockDescriptor.length == 16 ? 0x01 : 0)); // LONGLBA
            b.put((byte) 0);
            b.putShort((short) blockDescriptor.length);
        } else {
            b.put((byte) Math.min(total - 1, 0xff));
            b.put((byte) 0);
            b.put((byte) deviceSpecific);
            b.put((byte) blockDescriptor.length);
        }
        b.put(blockDescriptor);
        b.put(pages.toByteArray());
        c.respond(b.array(), total, alloc);
    }

    private static boolean findPage(ModePages mp, int page) {
        for (ModePage p : mp.pages()) {
            if (p.page() == page) {
                return true;
            }
        }
        return false;
    }

    /** A page as page control asks: saved values are the defaults (nothing is saved). */
    private static byte[] values(ModePages mp, ModePage p, int pc) {
        byte[] v;
        switch (pc) {
            case PC_CHANGEABLE -> {
                v = p.changeable().clone();
                // The header bytes come from the page, not from the mask.
                int header = p.subpageFormat() ? 4 : 2;
                System.arraycopy(p.defaults(), 0, v, 0, header);
            }
            case PC_DEFAULT, PC_SAVED -> v = p.defaults().clone();
            default -> v = mp.current(p);
        }
        v[0] &= 0x7f; // PS = 0: not saveable
        return v;
    }

    /** Short (8-byte) or long (16-byte, LLBAA) block descriptor (SPC-4 §7.5.5, SBC-3 §6.5.2). */
    private static byte[] blockDescriptor(Geometry g, boolean longLba) {
        if (g == null) {
            return new byte[0];
        }
        if (longLba) {
            ByteBuffer b = ByteBuffer.allocate(16);
            b.putLong(g.blockCount());
            b.putInt(0);
            b.putInt(g.blockSize());
            return b.array();
        }
        ByteBuffer b = ByteBuffer.allocate(8);
        b.putInt((int) Math.min(g.blockCount(), 0xffffffffL));
        b.putInt(g.blockSize() & 0x00ffffff); // density code 0
        return b.array();
    }

    // ------------------------------------------------------------------ MODE SELECT

    private static void modeSelect(Command c, boolean ten) {
        boolean sp = c.bit(1, 0);
        int length = ten ? c.u16(7) : c.u8(4);
        if (sp) {
            // SPC-4 §6.9: saved pages are not implemented, so SP = 1 is an invalid field.
            c.invalidField(1, 0);
            return;
        }
        if (length == 0) {
            c.transferLength(0);
            c.good();
            return;
        }
        c.receiveParameterList(length, list -> apply(c, list, ten));
    }

    /** A validated page change. */
    private record Change(ModePage page, byte[] values) {
    }

    private static void apply(Command c, byte[] list, boolean ten) {
        LogicalUnit lu = c.lu();
        ModePages mp = lu.modePages();
        int headerLen = ten ? 8 : 4;
        if (list.length < headerLen) {
            c.parameterListLengthError();
            return;
        }
        int bdLen = ten ? ((list[6] & 0xff) << 8) | (list[7] & 0xff) : list[3] & 0xff;
        boolean longLba = ten && (list[4] & 0x01) != 0;
        int bdOffset = headerLen;
        if (headerLen + bdLen > list.length) {
            c.parameterListLengthError();
            return;
        }
        if (bdLen != 0) {
            int expected = longLba ? 16 : 8;
            if (bdLen != expected) {
                c.invalidParameter(ten ? 6 : 3, -1);
                return;
            }
            Geometry g = lu.geometry();
            long blocks = longLba ? ByteBuffer.wrap(list, bdOffset, 8).getLong()
                    : ByteBuffer.wrap(list, bdOffset, 4).getInt() & 0xffffffffL;
            int blockLen = longLba ? ByteBuffer.wrap(list, bdOffset + 12, 4).getInt()
                    : ByteBuffer.wrap(list, bdOffset + 4, 4).getInt() & 0x00ffffff;
            // We cannot reformat: the block length must stay and NUMBER OF BLOCKS be 0 or unchanged.
            if (g != null && blockLen != g.blockSize()) {
                c.invalidParameter(bdOffset + (longLba ? 12 : 5), -1);
                return;
            }
            if (g != null && blocks != 0 && blocks != Math.min(g.blockCount(), longLba ? Long.MAX_VALUE : 0xffffffffL)) {
                c.invalidParameter(bdOffset, -1);
                return;
            }
        }
        List<Change> changes = new ArrayList<>();
        int p = headerLen + bdLen;
        while (p < list.length) {
            boolean spf = (list[p] & 0x40) != 0;
            int code = list[p] & 0x3f;
            int hdr = spf ? 4 : 2;
            if (p + hdr > list.length) {
                c.parameterListLengthError();
                return;
            }
            int sub = spf ? list[p + 1] & 0xff : 0;
            int pageLen = spf ? ((list[p + 2] & 0xff) << 8) | (list[p + 3] & 0xff) : list[p + 1] & 0xff;
            ModePage page = mp.find(code, sub);
            if (page == null) {
                c.invalidParameter(p, 5);
                return;
            }
            if (pageLen + hdr != page.length()) {
                c.invalidParameter(p + (spf ? 2 : 1), -1);
                return;
            }
            if (p + page.length() > list.length) {
                c.parameterListLengthError();
                return;
            }
            byte[] cur = mp.current(page);
            byte[] mask = page.changeable();
            byte[] next = cur.clone();
            for (int i = hdr; i < page.length(); i++) {
                int wanted = list[p + i] & 0xff;
                int diff = (wanted ^ (cur[i] & 0xff)) & ~(mask[i] & 0xff);
                if (diff != 0) {
                    // A bit that is not changeable: point at it (SPC-4 §6.9).
                    c.invalidParameter(p + i, 31 - Integer.numberOfLeadingZeros(diff));
                    return;
                }
                next[i] = (byte) wanted;
            }
            changes.add(new Change(page, next));
            p += page.length();
        }
        commit(c, changes, 0, false);
    }

    /**
     * Applies the validated pages one by one; the caching page goes through the backend first
     * (WCE). Then MODE PARAMETERS CHANGED for every other nexus when anything changed (SPC-4
     * §7.5.1).
     */
    private static void commit(Command c, List<Change> changes, int index, boolean changedSoFar) {
        LogicalUnit lu = c.lu();
        ModePages mp = lu.modePages();
        if (index == changes.size()) {
            if (changedSoFar) {
                lu.unitAttentions().establishForAll(SenseCodes.UA_MODE_PARAMETERS_CHANGED, c.nexus().name());
            }
            c.good();
            return;
        }
        Change ch = changes.get(index);
        byte[] cur = mp.current(ch.page());
        boolean changed = !java.util.Arrays.equals(cur, ch.values());
        if (ch.page().page() == ModePages.CACHING && ch.page().subpage() == 0
                && ((cur[2] ^ ch.values()[2]) & ModePages.CACHING_WCE) != 0) {
            boolean wce = (ch.values()[2] & ModePages.CACHING_WCE) != 0;
            if (lu.device() == null) {
                c.fail(lu.notReadySense());
                return;
            }
            c.setWriteCache(wce, v -> {
                lu.refreshGeometry();
                mp.setCurrent(ch.page(), ch.values());
                commit(c, changes, index + 1, true);
            });
            return;
        }
        mp.setCurrent(ch.page(), ch.values());
        commit(c, changes, index + 1, changedSoFar || changed);
    }
}
