package dev.lunar.iscsi.internal;

import java.util.Arrays;
import java.util.function.IntFunction;
import java.util.function.Predicate;

/**
 * A session's tasks by initiator task tag ({@code T} is IscsiTask; generic for its tests): an open-addressing table keyed by the {@code int} ITT,
 * so that looking up, adding and removing a task on every command and Data-Out allocates nothing
 * (a {@code HashMap<Integer, ...>} boxes most ITTs and allocates a node per task: about 48 bytes
 * of garbage per command on the hot path, issue 7). Linear probing with backward-shift deletion
 * (no tombstones); it grows when more than half full and never shrinks below its first size
 * (the session's queue depth bounds it). Not thread safe: the session's I/O thread only.
 */
final class TaskTable<T> {

    private static final int MIN_CAPACITY = 16;

    private int[] keys;
    private Object[] values;
    private int size;

    TaskTable() {
        keys = new int[MIN_CAPACITY];
        values = new Object[MIN_CAPACITY];
    }

    int size() {
        return size;
    }

    /** The task tagged {@code itt}, or {@code null}. */
    @SuppressWarnings("unchecked")
    T get(int itt) {
        int mask = keys.length - 1;
        for (int i = slot(itt, mask); ; i = (i + 1) & mask) {
            Object v = values[i];
            if (v == null) {
                return null;
            }
            if (keys[i] == itt) {
                return (T) v;
            }
        }
    }

    boolean containsKey(int itt) {
        return get(itt) != null;
    }

    /** Adds or replaces the task tagged {@code itt}; returns the one it replaced, or {@code null}. */
    @SuppressWarnings("unchecked")
    T put(int itt, T task) {
        if (task == null) {
            throw new IllegalArgumentException("null value for ITT 0x" + Integer.toHexString(itt));
        }
        if ((size + 1) * 2 > keys.length) {
            resize(keys.length * 2);
        }
        int mask = keys.length - 1;
        for (int i = slot(itt, mask); ; i = (i + 1) & mask) {
            Object v = values[i];
            if (v == null) {
                keys[i] = itt;
                values[i] = task;
                size++;
                return null;
            }
            if (keys[i] == itt) {
                values[i] = task;
                return (T) v;
            }
        }
    }

    /** Removes the entry for {@code itt} only if it is {@code task}; returns whether it did. */
    boolean remove(int itt, T task) {
        int mask = keys.length - 1;
        for (int i = slot(itt, mask); ; i = (i + 1) & mask) {
            Object v = values[i];
            if (v == null) {
                return false;
            }
            if (keys[i] == itt) {
                if (v != task) {
                    return false;
                }
                deleteAt(i, mask);
                return true;
            }
        }
    }

    /** Whether any task satisfies {@code test}, without allocating. */
    @SuppressWarnings("unchecked")
    boolean anyMatch(Predicate<? super T> test) {
        for (Object v : values) {
            if (v != null && test.test((T) v)) {
                return true;
            }
        }
        return false;
    }

    /** A copy of the tasks, for loops that end tasks (which removes them from this table). */
    @SuppressWarnings("unchecked")
    T[] snapshot(IntFunction<T[]> array) {
        T[] out = array.apply(size);
        int n = 0;
        for (Object v : values) {
            if (v != null) {
                out[n++] = (T) v;
            }
        }
        return out;
    }

    void clear() {
        Arrays.fill(values, null);
        size = 0;
    }

    /** Backward-shift deletion: entries after {@code hole} move up so that no probe chain breaks. */
    private void deleteAt(int hole, int mask) {
        values[hole] = null;
        size--;
        for (int i = (hole + 1) & mask; values[i] != null; i = (i + 1) & mask) {
            int home = slot(keys[i], mask);
            // Move the entry into the hole unless its home lies cyclically in (hole, i].
            boolean stays = hole <= i ? hole < home && home <= i : hole < home || home <= i;
            if (!stays) {
                keys[hole] = keys[i];
                values[hole] = values[i];
                values[i] = null;
                hole = i;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void resize(int capacity) {
        int[] oldKeys = keys;
        Object[] oldValues = values;
        keys = new int[capacity];
        values = new Object[capacity];
        size = 0;
        for (int i = 0; i < oldValues.length; i++) {
            if (oldValues[i] != null) {
                put(oldKeys[i], (T) oldValues[i]);
            }
        }
    }

    /** ITTs are often sequential: a multiplicative hash spreads them over the table. */
    private static int slot(int itt, int mask) {
        int h = itt * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
    }
}
