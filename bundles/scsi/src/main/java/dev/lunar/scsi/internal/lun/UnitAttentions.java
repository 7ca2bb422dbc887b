package dev.lunar.scsi.internal.lun;

import dev.lunar.spi.scsi.Sense;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Unit attention conditions of one logical unit, per I_T nexus (SPC-4 §5.14, SAM-5 §5.14). Keyed
 * by the nexus's name (initiator port + target port), not by the connection, so a session that
 * comes back with the same ISID finds what was established for it (I_T NEXUS LOSS OCCURRED).
 * Thread safe.
 */
public final class UnitAttentions {

    /** Pending conditions kept per nexus; older ones beyond it are dropped (SPC-4 allows it). */
    static final int MAX_PENDING = 16;
    /** Nexus names remembered; the oldest is forgotten beyond it (it gets POWER ON again). */
    static final int MAX_NEXUSES = 4096;

    private final Map<String, Deque<Sense>> pending = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Deque<Sense>> eldest) {
            return size() > MAX_NEXUSES;
        }
    };

    /**
     * A nexus touched this LU for the first time since the LU was created: POWER ON, RESET, OR
     * BUS DEVICE RESET OCCURRED (29/00) is its first condition.
     */
    public synchronized void nexusSeen(String nexus, Sense firstCondition) {
        // get() then put(), not computeIfAbsent: its closure would capture firstCondition and be
        // garbage on every command (issue 7). get() touches the entry in access order as before.
        if (pending.get(nexus) == null) {
            Deque<Sense> q = new ArrayDeque<>();
            q.add(firstCondition);
            pending.put(nexus, q);
        }
    }

    /**
     * A new I_T nexus logged in under this name: whatever was pending for an earlier nexus of the
     * same name is replaced by {@code resetCondition} (29/00). The initiator re-validates
     * everything after that condition anyway, and initiators such as libiscsi clear exactly the
     * reset conditions with TEST UNIT READY right after login and give up on any other.
     */
    public synchronized void nexusOpened(String nexus, Sense resetCondition) {
        Deque<Sense> q = new ArrayDeque<>();
        q.add(resetCondition);
        pending.put(nexus, q);
    }

    /** Establishes {@code sense} for one nexus. A reset (ASC 29h) supersedes everything pending. */
    public synchronized void establish(String nexus, Sense sense) {
        Deque<Sense> q = pending.computeIfAbsent(nexus, k -> new ArrayDeque<>());
        add(q, sense);
    }

    /** Establishes {@code sense} for every nexus this LU knows except {@code except} (may be null). */
    public synchronized void establishForAll(Sense sense, String except) {
        for (Map.Entry<String, Deque<Sense>> e : pending.entrySet()) {
            if (!e.getKey().equals(except)) {
                add(e.getValue(), sense);
            }
        }
    }

    private static void add(Deque<Sense> q, Sense sense) {
        if (sense.asc() == 0x29) {
            // SAM-5 §5.14: a reset clears the conditions it makes obsolete; report the reset.
            q.clear();
        }
        for (Sense s : q) {
            if (s.asc() == sense.asc() && s.ascq() == sense.ascq()) {
                return;
            }
        }
        if (q.size() >= MAX_PENDING) {
            q.pollFirst();
        }
        q.addLast(sense);
    }

    /** Removes and returns the oldest pending condition for {@code nexus}, or null. */
    public synchronized Sense take(String nexus) {
        Deque<Sense> q = pending.get(nexus);
        return q == null ? null : q.pollFirst();
    }

    /** The oldest pending condition without clearing it (QUERY ASYNCHRONOUS EVENT), or null. */
    public synchronized Sense peek(String nexus) {
        Deque<Sense> q = pending.get(nexus);
        return q == null ? null : q.peekFirst();
    }

    public synchronized int pendingCount(String nexus) {
        Deque<Sense> q = pending.get(nexus);
        return q == null ? 0 : q.size();
    }
}
