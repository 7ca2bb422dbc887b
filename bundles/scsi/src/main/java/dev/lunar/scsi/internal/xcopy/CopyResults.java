package dev.lunar.scsi.internal.xcopy;

import dev.lunar.spi.scsi.Sense;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The copy operations of one logical unit that RECEIVE COPY RESULTS can report (SPC-4),
 * keyed by I_T nexus and list identifier: running ones (so a second copy with the same list
 * identifier is refused) and finished ones the initiator asked us to hold (LIST ID USAGE 00b).
 * Held results are bounded ({@link #MAX_HELD}, oldest finished first out) and dropped when their
 * I_T nexus goes away or the logical unit is reset.
 *
 * <p>Thread safety: all methods synchronise on this object; {@link Operation} fields are
 * volatile or guarded by the operation's monitor.
 */
public final class CopyResults {

    /** Finished operations held per logical unit at most. */
    public static final int MAX_HELD = 64;
    /** Copy operations running at once per logical unit (TOTAL CONCURRENT COPIES). */
    public static final int MAX_CONCURRENT = 16;

    /** COPY MANAGER STATUS values (SPC-4 RECEIVE COPY RESULTS, COPY STATUS). */
    public static final int IN_PROGRESS = 0x00;
    public static final int COMPLETED_GOOD = 0x01;
    public static final int COMPLETED_WITH_ERROR = 0x02;

    /** One copy operation's progress and outcome. */
    public static final class Operation {
        private final boolean held;
        private int status = IN_PROGRESS;
        private int segmentsProcessed;
        private long bytesTransferred;
        private Sense failure;

        Operation(boolean held) {
            this.held = held;
        }

        public synchronized void segmentDone() {
            segmentsProcessed++;
        }

        public synchronized void transferred(long bytes) {
            bytesTransferred += bytes;
        }

        /** Records the outcome; {@code failure} is null for success, or the sense when known. */
        public synchronized void finish(boolean good, Sense failure) {
            if (status == IN_PROGRESS) {
                status = good ? COMPLETED_GOOD : COMPLETED_WITH_ERROR;
                this.failure = failure;
            }
        }

        public synchronized int status() {
            return status;
        }

        public synchronized int segmentsProcessed() {
            return segmentsProcessed;
        }

        public synchronized long bytesTransferred() {
            return bytesTransferred;
        }

        public synchronized Sense failure() {
            return failure;
        }
    }

    private record Key(String nexus, int listId) {
    }

    // Insertion ordered, so the oldest finished operation is evicted first. Guarded by "this".
    private final Map<Key, Operation> operations = new LinkedHashMap<>();
    private int running;

    /** Takes one of the {@link #MAX_CONCURRENT} copy slots; false when all are taken. */
    public synchronized boolean admit() {
        if (running >= MAX_CONCURRENT) {
            return false;
        }
        running++;
        return true;
    }

    /** Gives back a slot taken by {@link #admit()}. */
    public synchronized void release() {
        running--;
    }

    /**
     * Registers a new operation for {@code nexus}/{@code listId}; null when one with the same key
     * is still running (the caller answers OPERATION IN PROGRESS). {@code hold}: keep the result
     * after it finished, for RECEIVE COPY RESULTS.
     */
    public synchronized Operation begin(String nexus, int listId, boolean hold) {
        Key k = new Key(nexus, listId);
        Operation old = operations.get(k);
        if (old != null && old.status() == IN_PROGRESS) {
            return null;
        }
        operations.remove(k);
        Operation op = new Operation(hold);
        operations.put(k, op);
        evict();
        return op;
    }

    /** Called once the operation finished: forgets it unless it is to be held. */
    public synchronized void ended(String nexus, int listId, Operation op) {
        Key k = new Key(nexus, listId);
        if (!op.held && operations.get(k) == op) {
            operations.remove(k);
        }
    }

    /** The operation of {@code nexus} with {@code listId}, or null. */
    public synchronized Operation find(String nexus, int listId) {
        return operations.get(new Key(nexus, listId));
    }

    /** Drops everything of an I_T nexus that went away. */
    public synchronized void nexusLost(String nexus) {
        operations.keySet().removeIf(k -> k.nexus().equals(nexus));
    }

    /** Drops every finished operation (logical unit reset). */
    public synchronized void reset() {
        operations.values().removeIf(op -> op.status() != IN_PROGRESS);
    }

    private void evict() {
        int over = operations.size() - MAX_HELD;
        for (Iterator<Operation> it = operations.values().iterator(); it.hasNext() && over > 0;) {
            if (it.next().status() != IN_PROGRESS) {
                it.remove();
                over--;
            }
        }
    }

    public synchronized int size() {
        return operations.size();
    }
}
