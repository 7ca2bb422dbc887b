package dev.lunar.iscsi.internal;

import dev.lunar.pdu.SerialNumber;
import java.util.HashMap;
import java.util.Map;

/**
 * The session's command numbering (RFC 7143 §3.2.2.1, §4.2.2.1): ExpCmdSN, MaxCmdSN and the
 * commands that arrived ahead of ExpCmdSN. Non-immediate commands are delivered in CmdSN order;
 * one that arrives early is held until the gap closes. MaxCmdSN is ExpCmdSN plus the task slots
 * still free minus one, so the number of commands held or running never exceeds the queue depth
 * (DESIGN.md §3.4): a flood cannot grow a queue. While the session holds more data than its
 * memory budget, no slot counts as free: MaxCmdSN stops advancing and, once ExpCmdSN catches up,
 * the window is closed (MaxCmdSN = ExpCmdSN - 1) until memory comes back.
 *
 * <p>Confined to the session's I/O thread.
 */
final class CommandWindow {

    /** What to do with one arrived command. */
    enum Verdict {
        /** CmdSN == ExpCmdSN (or immediate): run it now. */
        DELIVER,
        /** Inside the window but ahead of ExpCmdSN: held. */
        HELD,
        /** Outside [ExpCmdSN, MaxCmdSN]: silently ignored (§4.2.2.1). */
        DROP
    }

    /** A command waiting for its turn. */
    interface Pending {
        void deliver();

        /** Drops the command without running it (abort, session end); releases what it holds. */
        void discard();
    }

    private final int queueDepth;
    private final Map<Integer, Pending> held = new HashMap<>();
    private int expCmdSn;
    private int maxCmdSn;
    private int busySlots;
    private boolean memoryExhausted;

    CommandWindow(int initialCmdSn, int queueDepth) {
        this.queueDepth = queueDepth;
        this.expCmdSn = initialCmdSn;
        this.maxCmdSn = initialCmdSn + queueDepth - 1;
    }

    int expCmdSn() {
        return expCmdSn;
    }

    /**
     * MaxCmdSN to advertise: never below what was advertised before, because an initiator may
     * already have numbered commands up to it (the window may only shrink by ExpCmdSN catching
     * up, §4.2.2.1).
     */
    int maxCmdSn() {
        int free = memoryExhausted ? 0 : queueDepth - busySlots - held.size();
        int candidate = expCmdSn + Math.max(free, 0) - 1;
        if (SerialNumber.greaterThan(candidate, maxCmdSn)) {
            maxCmdSn = candidate;
        }
        return maxCmdSn;
    }

    /** The session's memory budget is exhausted (true) or has room again (false). */
    void memoryExhausted(boolean exhausted) {
        this.memoryExhausted = exhausted;
    }

    /** The MaxCmdSN last computed, without recomputing it. */
    int advertisedMaxCmdSn() {
        return maxCmdSn;
    }

    /** Whether the MaxCmdSN last advertised leaves no CmdSN to the initiator (§4.2.2.1). */
    boolean closed() {
        return SerialNumber.lessThan(maxCmdSn, expCmdSn);
    }

    /** Tasks counted against the queue depth (running SCSI tasks, including immediate ones). */
    void taskStarted() {
        busySlots++;
    }

    void taskEnded() {
        busySlots--;
    }

    int busySlots() {
        return busySlots;
    }

    int heldCount() {
        return held.size();
    }

    /**
     * Whether an immediate command can get a task slot. Not while memory is exhausted: immediate
     * commands bypass the window, so they would be the one way around the memory budget.
     */
    boolean hasFreeSlot() {
        return !memoryExhausted && busySlots + held.size() < queueDepth;
    }

    /** Classifies a non-immediate command by its CmdSN. */
    Verdict classify(int cmdSn) {
        // Judged against the MaxCmdSN last advertised: with every slot busy it is ExpCmdSN - 1,
        // and even CmdSN == ExpCmdSN is outside the window.
        if (!SerialNumber.inWindow(cmdSn, expCmdSn, maxCmdSn)) {
            return Verdict.DROP;
        }
        if (cmdSn == expCmdSn) {
            return Verdict.DELIVER;
        }
        return held.containsKey(cmdSn) ? Verdict.DROP : Verdict.HELD;
    }

    void hold(int cmdSn, Pending pending) {
        held.put(cmdSn, pending);
    }

    /** The command numbered ExpCmdSN was taken: advance, then run what became due. */
    void advance() {
        take();
        drain();
    }

    /**
     * Counts the command numbered ExpCmdSN as received, before running it, so that a response
     * it produces at once already acknowledges it in ExpCmdSN.
     */
    void take() {
        expCmdSn++;
    }

    /** Runs held commands that became due. */
    void drain() {
        Pending next;
        // Commands arrive in order nearly always: no lookup (and no boxed CmdSN) when none is held.
        while (!held.isEmpty() && (next = held.remove(expCmdSn)) != null) {
            expCmdSn++;
            next.deliver();
        }
    }

    /**
     * Treats {@code cmdSn} as received without running anything (RFC 7143 §11.6.1: an ABORT TASK
     * whose RefCmdSN names a command that never arrived).
     */
    void consume(int cmdSn) {
        if (cmdSn == expCmdSn) {
            advance();
        } else if (SerialNumber.inWindow(cmdSn, expCmdSn, maxCmdSn)) {
            Pending old = held.put(cmdSn, NOTHING);
            if (old != null) {
                old.discard();
            }
        }
    }

    /** Removes a held command (aborted before its turn); its CmdSN counts as received. */
    boolean abortHeld(Pending pending) {
        for (Map.Entry<Integer, Pending> e : held.entrySet()) {
            if (e.getValue() == pending) {
                e.setValue(NOTHING);
                pending.discard();
                return true;
            }
        }
        return false;
    }

    /** Stops holding a command without discarding it (its owner ends it); its CmdSN still counts. */
    void forget(Pending pending) {
        for (Map.Entry<Integer, Pending> e : held.entrySet()) {
            if (e.getValue() == pending) {
                e.setValue(NOTHING);
                return;
            }
        }
    }

    /**
     * Numbering starts again at {@code cmdSn} (a session continued on a new connection after its
     * only one failed, taking its unnumbered commands with it). Nothing may be held.
     */
    void restartAt(int cmdSn) {
        if (!held.isEmpty()) {
            throw new IllegalStateException(held.size() + " commands still held");
        }
        expCmdSn = cmdSn;
        maxCmdSn = cmdSn - 1;
        maxCmdSn();
    }

    /** Drops everything held (session end). */
    void discardAll() {
        for (Pending p : held.values()) {
            p.discard();
        }
        held.clear();
    }

    private static final Pending NOTHING = new Pending() {
        @Override
        public void deliver() {
        }

        @Override
        public void discard() {
        }
    };
}
