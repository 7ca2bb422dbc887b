package dev.lunar.scsi.internal.target;

import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.sense.SenseCodes;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Target port groups for implicit ALUA (SPC-4 §5.16). A portal's target portal group tag is an
 * iSCSI target portal group, which is one SCSI target port per target (RFC 7143 §4.4.1 with
 * the SAM-5 mapping "&lt;iqn&gt;,t,0x&lt;tpgt&gt;"), so here target port group = relative target
 * port identifier = tpgt: each group holds exactly one port of each target.
 *
 * <p>Portals report their tpgt and {@code aluaState} by configuration name ({@link #put});
 * the group's state is the most restrictive of its portals' (they are meant to agree, and
 * disagreeing ones are logged). A group no portal configures (unit tests, a session whose
 * portal was removed) is active/optimized. A change of a group's state establishes ASYMMETRIC
 * ACCESS STATE CHANGED on every LU for every nexus through that group (SPC-4 §5.16.2,
 * transitions between target port asymmetric access states).
 *
 * <p>Thread safety: writers (Config Admin / SCR threads) synchronize on {@code this}; readers
 * (every command on the I/O threads) read the copy-on-write {@link #states} without a lock.
 */
public final class PortGroups {

    /** Target port asymmetric access states this target uses (SPC-4 §6.36 table 226), least restrictive first. */
    public enum AccessState {
        ACTIVE_OPTIMIZED(0x0, "active-optimized"),
        ACTIVE_NON_OPTIMIZED(0x1, "active-non-optimized"),
        STANDBY(0x2, "standby"),
        UNAVAILABLE(0x3, "unavailable");

        private final int code;
        private final String configName;

        AccessState(int code, String configName) {
            this.code = code;
            this.configName = configName;
        }

        /** ASYMMETRIC ACCESS STATE field value. */
        public int code() {
            return code;
        }

        /** The {@code aluaState} configuration value. */
        public String configName() {
            return configName;
        }

        /**
         * Parses an {@code aluaState} value (case-insensitive); null or blank is active-optimized.
         *
         * @throws IllegalArgumentException with a sentence naming the allowed values
         */
        public static AccessState parse(String value) {
            if (value == null || value.isBlank()) {
                return ACTIVE_OPTIMIZED;
            }
            String v = value.trim().toLowerCase(Locale.ROOT);
            for (AccessState s : values()) {
                if (s.configName.equals(v)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("aluaState must be active-optimized, active-non-optimized, standby"
                    + " or unavailable, not '" + value + "'");
        }
    }

    /** SUPPORTED bits of every descriptor (SPC-4 §6.36): AO_SUP, AN_SUP, S_SUP, U_SUP; no T/O/LBD. */
    public static final int SUPPORTED_STATES = 0x0f;

    private static final Logger LOG = LoggerFactory.getLogger(PortGroups.class);

    /** One portal's say: its group and the state it asks for. */
    record PortalEntry(int tpgt, AccessState state) {
    }

    private final DeviceServerCore server;
    /** Portal configuration name -> entry; written under {@code this}. */
    private final Map<String, PortalEntry> portals = new TreeMap<>();
    /** tpgt -> effective state of configured groups; replaced, never mutated. */
    private volatile NavigableMap<Integer, AccessState> states = new TreeMap<>();

    PortGroups(DeviceServerCore server) {
        this.server = server;
    }

    /** Adds or changes the portal {@code portalName}: group {@code tpgt} in {@code state}. */
    public synchronized void put(String portalName, int tpgt, AccessState state) {
        portals.put(portalName, new PortalEntry(tpgt, state));
        recompute();
    }

    /** As {@link #put} unless the portal is known already (stored configurations at start). */
    public synchronized void putIfAbsent(String portalName, int tpgt, AccessState state) {
        if (!portals.containsKey(portalName)) {
            put(portalName, tpgt, state);
        }
    }

    /** Forgets a portal; its group goes away when no other portal has that tpgt. */
    public synchronized void remove(String portalName) {
        if (portals.remove(portalName) != null) {
            recompute();
        }
    }

    /** The state of group {@code tpgt}; active/optimized for a group no portal configures. Lock-free. */
    public AccessState state(int tpgt) {
        return states.getOrDefault(tpgt, AccessState.ACTIVE_OPTIMIZED);
    }

    /** The configured groups and their states, by tpgt (a snapshot). */
    public NavigableMap<Integer, AccessState> configured() {
        return states;
    }

    private void recompute() {
        NavigableMap<Integer, AccessState> next = new TreeMap<>();
        for (PortalEntry e : portals.values()) {
            next.merge(e.tpgt(), e.state(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
        }
        for (Map.Entry<Integer, AccessState> g : next.entrySet()) {
            Map<String, String> members = new TreeMap<>();
            for (Map.Entry<String, PortalEntry> p : portals.entrySet()) {
                if (p.getValue().tpgt() == g.getKey()) {
                    members.put(p.getKey(), p.getValue().state().configName());
                }
            }
            if (new TreeSet<>(members.values()).size() > 1) {
                LOG.error("Portals of target portal group {} disagree on aluaState {}; the group is {}, the most"
                        + " restrictive: give them all the same aluaState", g.getKey(), members,
                        g.getValue().configName());
            }
        }
        NavigableMap<Integer, AccessState> old = states;
        states = next;
        TreeSet<Integer> groups = new TreeSet<>(old.keySet());
        groups.addAll(next.keySet());
        for (int tpgt : groups) {
            AccessState before = old.getOrDefault(tpgt, AccessState.ACTIVE_OPTIMIZED);
            AccessState after = next.getOrDefault(tpgt, AccessState.ACTIVE_OPTIMIZED);
            if (before != after) {
                LOG.info("Target port group {}: {} -> {}", tpgt, before.configName(), after.configName());
                stateChanged(tpgt);
            }
        }
    }

    /**
     * 2A/06 for every nexus through group {@code tpgt}, on every LU of its target it sees
     * (SPC-4 §5.16.2, transitions between target port asymmetric access states).
     */
    private void stateChanged(int tpgt) {
        for (ScsiTarget t : server.targets()) {
            for (ScsiNexus n : t.nexuses()) {
                if (n.relativeTargetPortId() != tpgt) {
                    continue;
                }
                for (LogicalUnit lu : n.logicalUnits()) {
                    lu.unitAttentions().establish(n.name(), SenseCodes.UA_ASYMMETRIC_ACCESS_STATE_CHANGED);
                }
            }
        }
    }
}
