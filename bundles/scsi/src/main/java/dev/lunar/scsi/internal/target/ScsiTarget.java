package dev.lunar.scsi.internal.target;

import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.sense.SenseCodes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A SCSI target device: its logical units by LUN, the I_T nexuses open to it, and the access
 * control entries that decide which LUNs each initiator sees ({@link #access(String)}).
 */
public final class ScsiTarget {

    private static final Logger LOG = LoggerFactory.getLogger(ScsiTarget.class);

    private final String name;
    private final NavigableMap<Integer, LogicalUnit> luns = new ConcurrentSkipListMap<>();
    private final Set<ScsiNexus> nexuses = ConcurrentHashMap.newKeySet();
    private final NavigableSet<Integer> relativePorts = new ConcurrentSkipListSet<>();
    /** ACL entries by configuration name; written under {@code this}. */
    private final NavigableMap<String, AccessGrant> grants = new TreeMap<>();
    /**
     * Copy-on-write view of {@link #grants} by initiator key, read on every command without a
     * lock; empty means the target has no ACL (everyone sees everything).
     */
    private volatile Map<String, AccessGrant> byInitiator = Map.of();

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

    /**
     * What {@code initiatorKey} ({@link AccessGrant#key}) may see and do right now:
     * {@link AccessGrant#OPEN} when the target has no ACL, {@link AccessGrant#DENIED} when it has
     * ACLs but none for this initiator. Any thread, lock free.
     */
    public AccessGrant access(String initiatorKey) {
        Map<String, AccessGrant> view = byInitiator;
        if (view.isEmpty()) {
            return AccessGrant.OPEN;
        }
        AccessGrant g = view.get(initiatorKey);
        return g == null ? AccessGrant.DENIED : g;
    }

    /** The ACL entries of this target, by configuration name (a snapshot). */
    public synchronized List<AccessGrant> grants() {
        return new ArrayList<>(grants.values());
    }

    /**
     * Adds or replaces the ACL entry of configuration {@code grant.configName()}. Applies to the
     * next command of every open nexus: a nexus whose set of visible LUNs changes gets REPORTED
     * LUNS DATA HAS CHANGED (SPC-4 §6.33: 3F/0E, established as for a LUN inventory change) on
     * every LU it sees afterwards, one whose write protection changes MODE PARAMETERS CHANGED
     * (2A/01). Any thread; does not block beyond this target's lock.
     */
    public void putGrant(AccessGrant grant) {
        changeGrants(() -> grants.put(grant.configName(), grant));
    }

    /**
     * As {@link #putGrant}, unless an entry of that configuration is there already (a preload of
     * stored configurations must never overwrite what a live configuration component put).
     */
    public void putGrantIfAbsent(AccessGrant grant) {
        changeGrants(() -> grants.putIfAbsent(grant.configName(), grant));
    }

    /** Removes the ACL entry of configuration {@code configName}, if any; as {@link #putGrant}. */
    public void removeGrant(String configName) {
        changeGrants(() -> grants.remove(configName));
    }

    private synchronized void changeGrants(Runnable change) {
        List<LogicalUnit> lus = logicalUnits();
        List<Integer> numbers = new ArrayList<>();
        for (LogicalUnit lu : lus) {
            numbers.add(lu.lun());
        }
        Map<ScsiNexus, Set<Integer>> before = new IdentityHashMap<>();
        Map<ScsiNexus, Boolean> wasReadOnly = new IdentityHashMap<>();
        for (ScsiNexus n : nexuses) {
            before.put(n, access(n.initiatorKey()).visible(numbers));
            wasReadOnly.put(n, access(n.initiatorKey()).readOnly());
        }
        change.run();
        Map<String, AccessGrant> view = new HashMap<>();
        for (AccessGrant g : grants.values()) {
            // configuration names iterate in order: the first one for an initiator wins
            AccessGrant first = view.putIfAbsent(AccessGrant.key(g.initiator()), g);
            if (first != null) {
                LOG.warn("ACL {} of {} names initiator {} like ACL {}; {} applies", g.configName(), name,
                        g.initiator(), first.configName(), first.configName());
            }
        }
        byInitiator = Map.copyOf(view);
        for (Map.Entry<ScsiNexus, Set<Integer>> e : before.entrySet()) {
            ScsiNexus n = e.getKey();
            Set<Integer> after = access(n.initiatorKey()).visible(numbers);
            if (!after.equals(e.getValue())) {
                LOG.info("LUNs visible to {} changed from {} to {}", n, e.getValue(), after);
                for (LogicalUnit lu : lus) {
                    if (after.contains(lu.lun())) {
                        lu.unitAttentions().establish(n.name(), SenseCodes.UA_REPORTED_LUNS_CHANGED);
                    }
                }
            }
            if (access(n.initiatorKey()).readOnly() != wasReadOnly.get(n)) {
                // the WP bit of the mode parameter header changed for this nexus, as when the LUN
                // option readOnly changes (SPC-4 §5.14: MODE PARAMETERS CHANGED)
                for (LogicalUnit lu : lus) {
                    if (after.contains(lu.lun())) {
                        lu.unitAttentions().establish(n.name(), SenseCodes.UA_MODE_PARAMETERS_CHANGED);
                    }
                }
            }
        }
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
