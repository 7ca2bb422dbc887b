package dev.lunar.scsi.internal.target;

import java.util.Collections;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What one access control entry ({@code dev.lunar.acl} configuration) grants one initiator on one
 * target: which LUNs it sees and whether it may write. Immutable.
 *
 * @param configName name of the ACL configuration (what follows {@code ~} in its PID); when two
 *     configurations name the same target and initiator, the one whose name sorts first applies
 * @param initiator initiator device name (iSCSI: the initiator IQN), compared case-insensitively
 * @param luns the LUN numbers the initiator sees, or null for every LUN of the target
 * @param readOnly every LUN is write protected for this initiator (SBC-3 §4.10: DATA PROTECT)
 */
public record AccessGrant(String configName, String initiator, SortedSet<Integer> luns, boolean readOnly) {

    /** What an initiator gets on a target without any ACL: every LUN, read-write. */
    public static final AccessGrant OPEN = new AccessGrant("", "*", null, false);
    /** What an unlisted initiator gets on a target that has ACLs: nothing. */
    public static final AccessGrant DENIED = new AccessGrant("", "*", new TreeSet<>(), false);

    public AccessGrant {
        Objects.requireNonNull(configName, "configName");
        Objects.requireNonNull(initiator, "initiator");
        luns = luns == null ? null : Collections.unmodifiableSortedSet(new TreeSet<>(luns));
    }

    /** Whether the initiator sees LUN {@code lun}. */
    public boolean sees(int lun) {
        return luns == null || luns.contains(lun);
    }

    /** The key initiator names are compared by (iSCSI names are case-insensitive, RFC 3722). */
    public static String key(String initiatorName) {
        return initiatorName.toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a LUN list: comma-separated LUN numbers (0..16383, the single-level range we
     * address), blanks ignored; null or blank means every LUN (returns null).
     *
     * @throws IllegalArgumentException with a sentence naming the bad element
     */
    public static SortedSet<Integer> parseLuns(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        SortedSet<Integer> out = new TreeSet<>();
        for (String part : text.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int lun;
            try {
                lun = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + p + "' in luns is not a LUN number; write e.g. luns = 0,2");
            }
            if (lun < 0 || lun > 0x3fff) {
                throw new IllegalArgumentException("LUN " + lun + " in luns is outside 0..16383");
            }
            out.add(lun);
        }
        return out;
    }

    /** The visible subset of {@code all}, as LUN numbers. */
    Set<Integer> visible(Iterable<Integer> all) {
        Set<Integer> out = new TreeSet<>();
        for (Integer lun : all) {
            if (sees(lun)) {
                out.add(lun);
            }
        }
        return out;
    }
}
