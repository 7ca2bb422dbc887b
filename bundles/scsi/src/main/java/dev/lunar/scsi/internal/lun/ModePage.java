package dev.lunar.scsi.internal.lun;

/**
 * The shape of one mode page (SPC-4 §7.5): its defaults and which bits MODE SELECT may change.
 * Both arrays are the whole page including its header (page code byte, subpage, page length).
 *
 * @param page page code
 * @param subpage subpage code (0 for a page_0 format page)
 * @param defaults default values
 * @param changeable mask of changeable bits (MODE SENSE page control 01b)
 */
public record ModePage(int page, int subpage, byte[] defaults, byte[] changeable) {

    public ModePage {
        if (defaults.length != changeable.length) {
            throw new IllegalArgumentException("page " + page + ": mask length differs");
        }
    }

    public int length() {
        return defaults.length;
    }

    /** Whether the page uses the sub_page format (SPF = 1, 4-byte header). */
    public boolean subpageFormat() {
        return subpage != 0;
    }

    /** A page_0 format page: byte 0 page code, byte 1 page length ({@code length - 2}). */
    static ModePage page0(int page, int length, int[] defaults, int[] changeable) {
        byte[] d = new byte[length];
        byte[] c = new byte[length];
        d[0] = (byte) page;
        d[1] = (byte) (length - 2);
        fill(d, defaults);
        fill(c, changeable);
        return new ModePage(page, 0, d, c);
    }

    /** A sub_page format page: SPF set, byte 1 subpage, bytes 2-3 page length. */
    static ModePage subpage(int page, int subpage, int length, int[] defaults, int[] changeable) {
        byte[] d = new byte[length];
        byte[] c = new byte[length];
        d[0] = (byte) (page | 0x40);
        d[1] = (byte) subpage;
        d[2] = (byte) ((length - 4) >>> 8);
        d[3] = (byte) (length - 4);
        fill(d, defaults);
        fill(c, changeable);
        return new ModePage(page, subpage, d, c);
    }

    /** Pairs of (offset, value). */
    private static void fill(byte[] b, int[] pairs) {
        for (int i = 0; i < pairs.length; i += 2) {
            b[pairs[i]] = (byte) pairs[i + 1];
        }
    }
}
