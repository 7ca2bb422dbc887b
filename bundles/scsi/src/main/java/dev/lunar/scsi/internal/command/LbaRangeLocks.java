package dev.lunar.scsi.internal.command;

import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.sense.SenseCodes;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-logical-unit locks on LBA ranges, so that a COMPARE AND WRITE (SBC-3 §5.2), ORWRITE
 * (SBC-3) or WRITE ATOMIC(16) (SBC-4) is atomic against every other command that changes the
 * same blocks: no write to an overlapping range lands between its read and its write.
 *
 * <p>Every medium-changing command takes the lock on its range before it moves data (WRITE
 * through one call in {@link ReadWriteCommands}; WRITE SAME, UNMAP, WRITE AND VERIFY, COMPARE AND
 * WRITE, ORWRITE, WRITE ATOMIC and EXTENDED COPY's destination writes here). The lock is held
 * until the command ends (completion, failure or abort: {@link Command#onFinish}), so there is no
 * unlock call to forget. Locks are exclusive, granted in arrival order: a request waits for every
 * earlier request on an overlapping range, held or still waiting, so nothing starves. A command
 * takes at most one range, which makes deadlock impossible. Non-overlapping writes never wait;
 * the cost on the WRITE path is one short critical section.
 *
 * <p>Nothing blocks: a request that must wait leaves its continuation here, and the command that
 * releases the range runs it (on that command's completion thread).
 *
 * <p>Thread safety: all state is guarded by this object's monitor; continuations run outside it.
 */
public final class LbaRangeLocks {

    private static final Logger LOG = LoggerFactory.getLogger(LbaRangeLocks.class);

    /**
     * One request: a range and what to run once it is granted. It is also the command's finish
     * hook that releases the range ({@link #run}), so a request costs this one object.
     */
    private class Entry implements Runnable {
        final long first;
        final long end;
        final Command command;
        final Runnable then;
        boolean granted;

        Entry(long first, long end, Command command, Runnable then) {
            this.first = first;
            this.end = end;
            this.command = command;
            this.then = then;
        }

        boolean overlaps(Entry o) {
            return first < o.end && o.first < end;
        }

        /** What runs once the range is granted. */
        void proceed() {
            then.run();
        }

        /** The command ended: release the range. */
        @Override
        public void run() {
            release(this);
        }
    }

    /** A WRITE's request: proceeding is fetching its Data-Out, with no closure to carry that. */
    private final class WriteEntry extends Entry {
        private final long blocks;
        private final boolean fua;

        WriteEntry(long first, long end, Command command, long blocks, boolean fua) {
            super(first, end, command, null);
            this.blocks = blocks;
            this.fua = fua;
        }

        @Override
        void proceed() {
            command.writeFromDataOut(first, blocks, fua);
        }
    }

    // Held and waiting requests in arrival order. Guarded by "this".
    private final List<Entry> entries = new ArrayList<>();

    /** The locks of {@code lu}, created on first use. */
    public static LbaRangeLocks of(LogicalUnit lu) {
        return lu.extension(LbaRangeLocks.class, l -> new LbaRangeLocks());
    }

    /**
     * Runs {@code then} once {@code [lba, lba + blocks)} on the command's logical unit is free of
     * earlier requests, now (on this thread) or later (on the thread that releases the range). The
     * range stays locked until {@code c} finishes. {@code then} does not run if {@code c} ended
     * meanwhile. An empty range needs no lock and runs at once.
     */
    public static void lockThen(Command c, long lba, long blocks, Runnable then) {
        if (blocks <= 0 || c.lu() == null) {
            then.run();
            return;
        }
        of(c.lu()).acquire(c, lba, blocks, then);
    }

    /**
     * {@link #lockThen} for READ and WRITE: {@link Command#writeFromDataOut} once the range is
     * free, from a request that carries the arguments itself (the WRITE path allocates no closure).
     */
    static void lockThenWrite(Command c, long lba, long blocks, boolean fua) {
        if (blocks <= 0 || c.lu() == null) {
            c.writeFromDataOut(lba, blocks, fua);
            return;
        }
        LbaRangeLocks locks = of(c.lu());
        locks.acquire(locks.new WriteEntry(lba, endOf(lba, blocks), c, blocks, fua));
    }

    private static long endOf(long lba, long blocks) {
        return lba + blocks < lba ? Long.MAX_VALUE : lba + blocks;
    }

    void acquire(Command c, long lba, long blocks, Runnable then) {
        acquire(new Entry(lba, endOf(lba, blocks), c, then));
    }

    private void acquire(Entry e) {
        Command c = e.command;
        boolean now;
        synchronized (this) {
            now = grantable(entries.size(), e);
            e.granted = now;
            entries.add(e);
        }
        // Released when the command ends whatever the outcome; runs at once if it already has.
        c.onFinish(e);
        if (now) {
            runIfLive(e);
        }
    }

    /** Whether {@code e} overlaps none of the first {@code before} entries. */
    private boolean grantable(int before, Entry e) {
        for (int i = 0; i < before; i++) {
            if (entries.get(i).overlaps(e)) {
                return false;
            }
        }
        return true;
    }

    private void release(Entry e) {
        List<Entry> ready = null; // created only when a waiter is granted: none on the usual path
        synchronized (this) {
            if (!entries.remove(e)) {
                return;
            }
            for (int i = 0; i < entries.size(); i++) {
                Entry w = entries.get(i);
                if (!w.granted && w.overlaps(e) && grantable(i, w)) {
                    w.granted = true;
                    if (ready == null) {
                        ready = new ArrayList<>(2);
                    }
                    ready.add(w);
                }
            }
        }
        if (ready != null) {
            for (int i = 0; i < ready.size(); i++) {
                runIfLive(ready.get(i));
            }
        }
    }

    private static void runIfLive(Entry e) {
        if (!e.command.live()) {
            return;
        }
        try {
            e.proceed();
        } catch (RuntimeException ex) {
            // Later grants run inside another command's finish hook, which would only log this.
            LOG.warn("Command {} failed inside the device server", e.command, ex);
            e.command.fail(SenseCodes.INTERNAL_TARGET_FAILURE);
        }
    }

    /** Requests held or waiting; for tests and diagnostics. */
    public synchronized int size() {
        return entries.size();
    }
}
