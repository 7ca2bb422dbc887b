package dev.lunar.scsi.internal.target;

import dev.lunar.scsi.internal.lun.LogicalUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;

/** A SCSI target device: its logical units by LUN and the I_T nexuses open to it. */
public final class ScsiTarget {

    /** Target port group every port of a target belongs to (implicit ALUA, one group, SPC-4 §5.16). */
    public static final int TARGET_PORT_GROUP = 1;

    private final String name;
    private final NavigableMap<Integer, LogicalUnit> luns = new ConcurrentSkipListMap<>();
    private final Set<ScsiNexus> nexuses = ConcurrentHashMap.newKeySet();
    private final NavigableSet<Integer> relativePorts = new ConcurrentSkipListSet<>();

    ScsiTarget(String name) {
        this.name = name;
    }

    /** Target names are iSCSI names, compared case-insensitively (RFC 3722). */
    static String key(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    public String name() {
        return name;
    }

    /**
     * The LU addressed by an 8-byte SAM LUN (SAM-5 §4.7): peripheral device addressing (00b, bus
     * 0) or flat space addressing (01b), single level; null for anything else or an unmapped LUN.
     */
    public LogicalUnit lookup(long samLun) {
        int lun = decodeLun(samLun);
        return lun < 0 ? null : luns.get(lun);
    }

    /** The LUN number of an 8-byte SAM LUN, or -1 when it is not a single-level LUN we use. */
    public static int decodeLun(long samLun) {
        if ((samLun & 0x0000_ffff_ffff_ffffL) != 0) {
            return -1;
        }
        int first = (int) (samLun >>> 48) & 0xffff;
        int method = first >>> 14;
        if (method == 0) {
            return (first & 0x3f00) != 0 ? -1 : first & 0xff;
        }
        if (method == 1) {
            return first & 0x3fff;
        }
        return -1;
    }

    /** The 8-byte SAM LUN for a LUN number (REPORT LUNS): peripheral below 256, flat above. */
    public static long encodeLun(int lun) {
        long first = lun < 256 ? lun : (0x4000 | (lun & 0x3fff));
        return first << 48;
    }

    public LogicalUnit logicalUnit(int lun) {
        return luns.get(lun);
    }

    /** Logical units in LUN order (a snapshot). */
    public List<LogicalUnit> logicalUnits() {
        return new ArrayList<>(luns.values());
    }

    /** Relative target port identifiers seen on this target's nexuses (REPORT TARGET PORT GROUPS). */
    public NavigableSet<Integer> relativePorts() {
        return relativePorts;
    }

    public Set<ScsiNexus> nexuses() {
        return nexuses;
    }

    LogicalUnit putIfAbsent(LogicalUnit lu) {
        return luns.putIfAbsent(lu.lun(), lu);
    }

    boolean remove(LogicalUnit lu) {
        return luns.remove(lu.lun(), lu);
    }

    @Override
    public String toString() {
        return "target " + name;
    }
}
