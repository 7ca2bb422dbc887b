package dev.lunar.scsi.internal.lun;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The mode pages of one logical unit and their current values (SPC-4 §7.5, SBC-3 §6.5). One set
 * shared by all I_T nexuses (SPC-4 allows it; a change raises MODE PARAMETERS CHANGED for the
 * others). Saved values are the defaults: nothing survives a restart, so PS is 0 and MODE SELECT
 * with SP=1 is refused. Thread safe.
 */
public final class ModePages {

    public static final int READ_WRITE_ERROR_RECOVERY = 0x01;
    public static final int CACHING = 0x08;
    public static final int CONTROL = 0x0a;
    public static final int POWER_CONDITION = 0x1a;
    public static final int INFORMATIONAL_EXCEPTIONS = 0x1c;
    /** Subpage of 1Ch: Logical Block Provisioning (SBC-3, mode parameters). */
    public static final int LBP_SUBPAGE = 0x02;

    /** Caching page byte 2: WCE bit (SBC-3 §6.5.5). */
    public static final int CACHING_WCE = 0x04;
    /** Control page byte 2: D_SENSE bit (SPC-4 §7.5.7). */
    public static final int CONTROL_D_SENSE = 0x04;
    /** Control page byte 4: SWP bit. */
    public static final int CONTROL_SWP = 0x08;

    private final List<ModePage> pages;
    private final List<byte[]> current;

    public ModePages(boolean writeCache, boolean thin) {
        List<ModePage> p = new ArrayList<>();
        // Read-Write Error Recovery (SBC-3 §6.5.9): AWRE and ARRE set, nothing changeable.
        p.add(ModePage.page0(READ_WRITE_ERROR_RECOVERY, 12, new int[] {2, 0xc0}, new int[0]));
        // Caching (SBC-3 §6.5.5): WCE changeable, read cache always on (RCD 0).
        p.add(ModePage.page0(CACHING, 20, new int[] {2, writeCache ? CACHING_WCE : 0},
                new int[] {2, CACHING_WCE}));
        // Control (SPC-4 §7.5.7): TST 000b (one task set per LU), GLTSD 1 (no log saving),
        // QUEUE ALGORITHM MODIFIER 1 (SIMPLE tasks run concurrently and may complete in any
        // order; overlapping writes are still ordered by the LBA range locks), QERR 00b,
        // BUSY TIMEOUT PERIOD FFFFh (unlimited); D_SENSE and SWP changeable.
        p.add(ModePage.page0(CONTROL, 12, new int[] {2, 0x02, 3, 0x10, 8, 0xff, 9, 0xff},
                new int[] {2, CONTROL_D_SENSE, 4, CONTROL_SWP}));
        // Power Condition (SPC-4 §7.5.14): all timers off, nothing changeable.
        p.add(ModePage.page0(POWER_CONDITION, 40, new int[0], new int[0]));
        // Informational Exceptions Control (SPC-4 §7.5.13): DEXCPT set (we raise none);
        // PERF, EWASC, DEXCPT, MRIE, interval timer and report count changeable.
        p.add(ModePage.page0(INFORMATIONAL_EXCEPTIONS, 12, new int[] {2, 0x08},
                new int[] {2, 0x98, 3, 0x0f, 4, 0xff, 5, 0xff, 6, 0xff, 7, 0xff, 8, 0xff, 9, 0xff, 10, 0xff, 11, 0xff}));
        if (thin) {
            // Logical Block Provisioning (SBC-3, mode parameters): header only, no threshold descriptors.
            p.add(ModePage.subpage(INFORMATIONAL_EXCEPTIONS, LBP_SUBPAGE, 16, new int[0], new int[0]));
        }
        this.pages = List.copyOf(p);
        this.current = new ArrayList<>();
        for (ModePage page : pages) {
            current.add(page.defaults().clone());
        }
    }

    /** Every page, in page then subpage order. */
    public List<ModePage> pages() {
        return pages;
    }

    /** The page with these codes, or null. */
    public ModePage find(int page, int subpage) {
        for (ModePage p : pages) {
            if (p.page() == page && p.subpage() == subpage) {
                return p;
            }
        }
        return null;
    }

    /** A copy of the current values of {@code page}. */
    public synchronized byte[] current(ModePage page) {
        return current.get(pages.indexOf(page)).clone();
    }

    /** Replaces the current values of {@code page} (already validated against the mask). */
    public synchronized void setCurrent(ModePage page, byte[] values) {
        if (values.length != page.length()) {
            throw new IllegalArgumentException("page length");
        }
        current.set(pages.indexOf(page), values.clone());
    }

    private synchronized int currentByte(int page, int subpage, int offset) {
        ModePage p = find(page, subpage);
        return p == null ? 0 : current.get(pages.indexOf(p))[offset] & 0xff;
    }

    private synchronized void setBit(int page, int offset, int mask, boolean on) {
        ModePage p = find(page, 0);
        byte[] cur = current.get(pages.indexOf(p));
        cur[offset] = (byte) (on ? (cur[offset] | mask) : (cur[offset] & ~mask));
    }

    /** D_SENSE: report sense data in descriptor format. */
    public boolean descriptorSense() {
        return (currentByte(CONTROL, 0, 2) & CONTROL_D_SENSE) != 0;
    }

    /** SWP: software write protect. */
    public boolean softwareWriteProtect() {
        return (currentByte(CONTROL, 0, 4) & CONTROL_SWP) != 0;
    }

    /** WCE of the caching page. */
    public boolean writeCacheEnabled() {
        return (currentByte(CACHING, 0, 2) & CACHING_WCE) != 0;
    }

    /** Mirrors the backend's write cache state into the caching page. */
    public void setWriteCacheEnabled(boolean on) {
        setBit(CACHING, 2, CACHING_WCE, on);
    }

    public void setDescriptorSense(boolean on) {
        setBit(CONTROL, 2, CONTROL_D_SENSE, on);
    }

    public void setSoftwareWriteProtect(boolean on) {
        setBit(CONTROL, 4, CONTROL_SWP, on);
    }

    @Override
    public synchronized String toString() {
        StringBuilder b = new StringBuilder("ModePages[");
        for (int i = 0; i < pages.size(); i++) {
            b.append(String.format("%02x/%02x=%s ", pages.get(i).page(), pages.get(i).subpage(),
                    Arrays.toString(current.get(i))));
        }
        return b.append(']').toString();
    }
}
