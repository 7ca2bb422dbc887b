package dev.lunar.scsi.internal.command;

import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.scsi.TaskAttribute;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The task set of one logical unit (SAM-5 §8.6; TST = 000b, one task set shared by all I_T
 * nexuses). Holds every admitted task in arrival order and decides when a dormant task becomes
 * enabled:
 * <ul>
 * <li>HEAD OF QUEUE: enabled at once;</li>
 * <li>ORDERED: when every older task has completed;</li>
 * <li>SIMPLE (and untagged): when every older ORDERED and HEAD OF QUEUE task has completed.</li>
 * </ul>
 * Thread safe; never calls out while holding its lock except to read a command's started flag.
 */
public final class TaskSet {

    /** Outcome of {@link #admit}. */
    public enum Admission {
        ENABLED, DORMANT, FULL, OVERLAPPED
    }

    private final int maxDepth;
    private final List<Command> tasks = new ArrayList<>();

    public TaskSet(int maxDepth) {
        this.maxDepth = maxDepth;
    }

    /**
     * Adds a task. {@link Admission#OVERLAPPED}: a task of the same nexus with the same tag is
     * still in the set (SAM-5 §5.9); the new task is not added.
     */
    synchronized Admission admit(Command c) {
        if (indexOf(c.nexus(), c.tag()) >= 0) {
            return Admission.OVERLAPPED;
        }
        if (tasks.size() >= maxDepth) {
            return Admission.FULL;
        }
        tasks.add(c);
        return enabled(tasks.size() - 1) ? Admission.ENABLED : Admission.DORMANT;
    }

    /** Removes a finished task; returns the dormant tasks that became enabled, oldest first. */
    synchronized List<Command> remove(Command c) {
        if (!tasks.remove(c)) {
            return List.of();
        }
        List<Command> now = null;
        for (int i = 0; i < tasks.size(); i++) {
            Command t = tasks.get(i);
            if (!t.isStarted() && enabled(i)) {
                if (now == null) {
                    now = new ArrayList<>(2);
                }
                now.add(t);
            }
        }
        return now == null ? List.of() : now;
    }

    private boolean enabled(int index) {
        TaskAttribute a = tasks.get(index).attribute();
        if (a == TaskAttribute.HEAD_OF_QUEUE) {
            return true;
        }
        if (a == TaskAttribute.ORDERED) {
            return index == 0;
        }
        for (int i = 0; i < index; i++) {
            TaskAttribute older = tasks.get(i).attribute();
            if (older == TaskAttribute.ORDERED || older == TaskAttribute.HEAD_OF_QUEUE) {
                return false;
            }
        }
        return true;
    }

    /** The tasks matching {@code filter}, oldest first (a snapshot). */
    public synchronized List<Command> select(Predicate<Command> filter) {
        List<Command> out = new ArrayList<>();
        for (Command t : tasks) {
            if (filter.test(t)) {
                out.add(t);
            }
        }
        return out;
    }

    /** The task of {@code nexus} with {@code tag}, or null. */
    public synchronized Command find(ScsiNexus nexus, long tag) {
        int i = indexOf(nexus, tag);
        return i < 0 ? null : tasks.get(i);
    }

    /** Index of the task of {@code nexus} with {@code tag}, or -1; indexed, so no iterator per command. */
    private int indexOf(ScsiNexus nexus, long tag) {
        for (int i = 0; i < tasks.size(); i++) {
            Command t = tasks.get(i);
            if (t.nexus() == nexus && t.tag() == tag) {
                return i;
            }
        }
        return -1;
    }

    public synchronized int size() {
        return tasks.size();
    }
}
