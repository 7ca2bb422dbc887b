package dev.lunar.iscsi.internal.login;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may log in to which target (RFC 7143 §11.13.5 "authorization failure", DESIGN §3.6 ACLs):
 * a target with at least one {@link InitiatorAcl} admits only the initiators listed; a target with
 * none admits every initiator that authenticates. Also decides which CHAP credentials a listed
 * initiator uses.
 *
 * <p>Live: an entry added, changed or removed applies to the next login and the next SendTargets
 * answer. It never ends a running session: an initiator removed from a target's ACL stays logged
 * in (its LUNs disappear through the SCSI core's half of the same configuration) until the session
 * ends or an admin kills it ({@code TargetService.killSession}).
 *
 * <p>Thread safe: writers (configuration threads) serialize on this object; readers (login
 * threads) read an immutable snapshot without locking.
 */
public final class AccessControl {

    private static final Logger LOG = LoggerFactory.getLogger(AccessControl.class);

    /** What one initiator may do on one target. */
    public record Admission(boolean admitted, InitiatorAcl entry) {

        /** A target without ACL: everyone who authenticates, with the target's CHAP. */
        static final Admission OPEN = new Admission(true, null);
        /** A target with ACLs that do not list the initiator. */
        static final Admission DENIED = new Admission(false, null);

        /** Per-initiator CHAP credentials overriding the target's, or null. */
        public ChapCredentials chap() {
            return entry == null ? null : entry.chap();
        }
    }

    private final NavigableMap<String, InitiatorAcl> byConfig = new TreeMap<>();
    /** target key → initiator key → entry; replaced whole on every change. */
    private volatile Map<String, Map<String, InitiatorAcl>> byTarget = Map.of();

    /** Adds or replaces the entry of configuration {@code acl.configName()}. Any thread. */
    public synchronized void put(InitiatorAcl acl) {
        byConfig.put(acl.configName(), acl);
        rebuild();
    }

    /**
     * Adds the entry unless its configuration is known already (a preload must never overwrite
     * what a live configuration component put). Any thread.
     */
    public synchronized void putIfAbsent(InitiatorAcl acl) {
        if (byConfig.putIfAbsent(acl.configName(), acl) == null) {
            rebuild();
        }
    }

    /** Removes the entry of configuration {@code configName}, if any. Any thread. */
    public synchronized void remove(String configName) {
        if (byConfig.remove(configName) != null) {
            rebuild();
        }
    }

    private void rebuild() {
        Map<String, Map<String, InitiatorAcl>> next = new HashMap<>();
        for (InitiatorAcl acl : byConfig.values()) {
            InitiatorAcl first = next.computeIfAbsent(key(acl.target()), k -> new HashMap<>())
                    .putIfAbsent(key(acl.initiator()), acl);
            if (first != null) {
                LOG.warn("ACL {} names {} on {} like ACL {}; {} applies", acl.configName(), acl.initiator(),
                        acl.target(), first.configName(), first.configName());
            }
        }
        Map<String, Map<String, InitiatorAcl>> frozen = new HashMap<>();
        next.forEach((t, m) -> frozen.put(t, Map.copyOf(m)));
        byTarget = Map.copyOf(frozen);
    }

    /** Whether {@code initiatorName} may log in to {@code targetIqn}, and with which CHAP. Any thread. */
    public Admission admission(String targetIqn, String initiatorName) {
        Map<String, InitiatorAcl> listed = byTarget.get(key(targetIqn));
        if (listed == null) {
            return Admission.OPEN;
        }
        InitiatorAcl entry = initiatorName == null ? null : listed.get(key(initiatorName));
        return entry == null || !entry.admits() ? Admission.DENIED : new Admission(true, entry);
    }

    /** Whether {@code targetIqn} has any ACL entry. */
    public boolean restricted(String targetIqn) {
        return byTarget.containsKey(key(targetIqn));
    }

    /** iSCSI names compare case-insensitively (RFC 3722 normalizes them to lower case). */
    private static String key(String name) {
        return name.toLowerCase(Locale.ROOT);
    }
}
