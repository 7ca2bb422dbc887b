package dev.lunar.iscsi.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Live sessions by TSIH and by (initiator, ISID, target): the I_T nexus identity of RFC 7143
 * §4.4.3 that session reinstatement looks up. TSIHs are allocated here, never 0 (§11.12.6).
 * Thread safe: logins on different connections run on different I/O threads.
 */
final class SessionTable {

    private final int maxSessions;
    private final Map<Integer, Session> byTsih = new HashMap<>();
    private final Map<String, Session> byNexus = new HashMap<>();
    private int nextTsih = 1;

    SessionTable(int maxSessions) {
        this.maxSessions = maxSessions;
    }

    static String nexusKey(String initiator, long isid, String target) {
        return initiator + '\u0000' + Long.toHexString(isid) + '\u0000' + (target == null ? "" : target);
    }

    synchronized Session byTsih(int tsih) {
        return byTsih.get(tsih);
    }

    synchronized Session byNexus(String initiator, long isid, String target) {
        return byNexus.get(nexusKey(initiator, isid, target));
    }

    synchronized boolean full() {
        return byTsih.size() >= maxSessions;
    }

    /**
     * Registers a new session under a fresh TSIH, displacing (and returning) a session of the same
     * nexus, which the caller then closes: session reinstatement (RFC 7143 §6.3.5). Returns
     * {@code null} as the TSIH holder when the table is full.
     */
    synchronized Registration register(Session session) {
        Session old = byNexus.remove(session.nexusKey());
        if (old != null) {
            byTsih.remove(old.tsih());
        }
        if (byTsih.size() >= maxSessions) {
            return new Registration(0, old);
        }
        int tsih;
        do {
            tsih = nextTsih;
            nextTsih = nextTsih == 0xffff ? 1 : nextTsih + 1;
        } while (byTsih.containsKey(tsih));
        session.assignTsih(tsih);
        byTsih.put(tsih, session);
        byNexus.put(session.nexusKey(), session);
        return new Registration(tsih, old);
    }

    /** Removes a session if it is still the registered one. */
    synchronized void remove(Session session) {
        if (byTsih.get(session.tsih()) == session) {
            byTsih.remove(session.tsih());
        }
        byNexus.remove(session.nexusKey(), session);
    }

    synchronized List<Session> all() {
        return new ArrayList<>(byTsih.values());
    }

    /** The outcome of {@link #register}: the TSIH (0 when full) and a reinstated session. */
    record Registration(int tsih, Session displaced) {
    }
}
